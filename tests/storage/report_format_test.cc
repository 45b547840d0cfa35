// storage/report_format: the JSON shape, CSV blocks, Markdown tables and the terminal table.
#include "storage/report_format.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/report.h"

namespace chromatune {
namespace {

using nlohmann::json;

TrialOutcome Outcome(const std::string& method, int shots, json params, int64_t data_seed,
                     double accuracy) {
  TrialOutcome o;
  o.sweep = "fmnist";
  o.task = "classification";
  o.dataset = "fashion-mnist";
  o.method = method;
  o.shots = shots;
  o.params = std::move(params);
  o.data_seed = data_seed;
  o.train_seed = 1;
  o.state = "done";
  o.metrics = {{"accuracy", accuracy}};
  return o;
}

// zero-shot (n = 1), coop with two ctx_len at shots 1 and 2, finetune at shots 1 only.
Report Sample() {
  std::vector<TrialOutcome> outcomes = {
      Outcome("zero-shot", 0, {{"template", "a photo, of a {}."}}, 0, 0.41)};
  const std::vector<double> base = {0.50, 0.55, 0.52};
  for (size_t i = 0; i < base.size(); ++i) {
    outcomes.push_back(Outcome("finetune", 1, {{"lr", 0.001}}, i + 1, base[i]));
    for (int ctx : {4, 16}) {
      for (int shots : {1, 2}) {
        outcomes.push_back(Outcome("coop", shots, {{"ctx_len", ctx}, {"csc", false}}, i + 1,
                                   base[i] + 0.01 * ctx + 0.02 * shots + 0.003 * i));
      }
    }
  }
  auto r = BuildReport(outcomes, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Minimal CSV splitter for the test (handles quoted fields with "" escapes).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        fields.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      fields.emplace_back();
    } else {
      fields.back() += ch;
    }
  }
  return fields;
}

TEST(ReportFormat, ParseFormat) {
  EXPECT_EQ(ReportFormat::kTable, *ParseReportFormat("table"));
  EXPECT_EQ(ReportFormat::kMarkdown, *ParseReportFormat("md"));
  EXPECT_EQ(ReportFormat::kCsv, *ParseReportFormat("csv"));
  EXPECT_EQ(ReportFormat::kJson, *ParseReportFormat("json"));
  auto bad = ParseReportFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string::npos, bad.status().message().find("'xml'"));
}

TEST(ReportFormat, JsonShape) {
  const json j = json::parse(RenderReport(Sample(), ReportFormat::kJson));
  ASSERT_TRUE(j["cells"].is_array());
  ASSERT_TRUE(j["paired"].is_array());
  EXPECT_EQ("accuracy", j["metric"]);
  EXPECT_EQ(1, j["ddof"]);
  EXPECT_EQ("finetune", j["baseline"]);
  ASSERT_EQ(6u, j["cells"].size());
  for (const auto& c : j["cells"]) {
    for (const char* key : {"method", "shots", "params", "n", "mean", "std", "ci95"}) {
      EXPECT_TRUE(c.contains(key)) << key << " in " << c.dump();
    }
  }
  const json& zero_shot = j["cells"][0];
  EXPECT_EQ("zero-shot", zero_shot["method"]);
  EXPECT_EQ(1, zero_shot["n"]);
  EXPECT_TRUE(zero_shot["std"].is_null());
  EXPECT_TRUE(zero_shot["ci95"].is_null());
  EXPECT_EQ("a photo, of a {}.", zero_shot["params"]["template"]);
  const json& coop = j["cells"][2];
  EXPECT_EQ("coop", coop["method"]);
  EXPECT_EQ(json({{"ctx_len", 4}, {"csc", false}}), coop["params"]);
  EXPECT_EQ(json({{"ctx_len", 4}}), coop["swept"]);
  ASSERT_TRUE(coop["ci95"].is_array());
  ASSERT_EQ(2u, coop["ci95"].size());
  EXPECT_LT(coop["ci95"][0].get<double>(), coop["mean"].get<double>());
  EXPECT_GT(coop["ci95"][1].get<double>(), coop["mean"].get<double>());

  // coop × {4, 16} × shots {1, 2}; shots 2 has no finetune cell.
  ASSERT_EQ(4u, j["paired"].size());
  const json& p = j["paired"][0];
  EXPECT_EQ("coop", p["method"]);
  EXPECT_EQ(1, p["shots"]);
  EXPECT_EQ(3, p["n_pairs"]);
  EXPECT_TRUE(p["baseline_found"].get<bool>());
  EXPECT_TRUE(p["p_t"].is_number());
  EXPECT_TRUE(p["p_wilcoxon"].is_number());
  const json& missing = j["paired"][1];
  EXPECT_EQ(2, missing["shots"]);
  EXPECT_FALSE(missing["baseline_found"].get<bool>());
  EXPECT_TRUE(missing["p_t"].is_null());
  EXPECT_EQ("no finetune cell at shots 2", missing["note"]);
}

TEST(ReportFormat, CsvBlocks) {
  const Report report = Sample();
  const auto lines = Lines(RenderReport(report, ReportFormat::kCsv));
  size_t blank = 0;
  while (blank < lines.size() && !lines[blank].empty()) ++blank;
  ASSERT_LT(blank, lines.size());
  ASSERT_EQ(report.cells.size() + 1, blank);
  ASSERT_EQ(blank + 1 + report.paired.size() + 1, lines.size());
  const auto cell_header = CsvFields(lines[0]);
  EXPECT_EQ("sweep", cell_header[0]);
  for (size_t i = 1; i < blank; ++i) {
    EXPECT_EQ(cell_header.size(), CsvFields(lines[i]).size()) << lines[i];
  }
  // The zero-shot template has a comma: quoted, and the JSON survives.
  const auto zero_shot = CsvFields(lines[1]);
  EXPECT_EQ("a photo, of a {}.", json::parse(zero_shot[5])["template"]);
  EXPECT_EQ("", zero_shot[9]);  // std of one trial
  // Full precision: the mean reads back exactly.
  EXPECT_EQ(report.cells[2].mean, std::stod(CsvFields(lines[3])[8]));
  const auto paired_header = CsvFields(lines[blank + 1]);
  EXPECT_EQ("p_wilcoxon_holm", paired_header[17]);
  for (size_t i = blank + 2; i < lines.size(); ++i) {
    EXPECT_EQ(paired_header.size(), CsvFields(lines[i]).size()) << lines[i];
  }
}

TEST(ReportFormat, MarkdownTables) {
  const std::string md = RenderReport(Sample(), ReportFormat::kMarkdown);
  EXPECT_NE(std::string::npos, md.find("### sweep fmnist / classification / fashion-mnist"));
  EXPECT_NE(std::string::npos, md.find("| method | params | shots | n | mean |"));
  EXPECT_NE(std::string::npos, md.find("| --- | --- | ---: | ---: | ---: |"));
  EXPECT_NE(std::string::npos, md.find("| coop | ctx_len=4 | 1 | 3 |"));
  EXPECT_NE(std::string::npos, md.find("no finetune cell at shots 2"));
}

TEST(ReportFormat, TableIsAlignedAndShowsSingleTrials) {
  const std::string table = RenderReport(Sample(), ReportFormat::kTable);
  const auto lines = Lines(table);
  // Every row of the first table has the header's width.
  size_t header = 0;
  while (header < lines.size() && lines[header].rfind("method", 0) != 0) ++header;
  ASSERT_LT(header + 2, lines.size());
  const std::string& rule = lines[header + 1];
  ASSERT_EQ(std::string::npos, rule.find_first_not_of("- "));
  // The zero-shot row: n 1, no std, no interval.
  const std::string& zero_shot = lines[header + 2];
  EXPECT_EQ(0u, zero_shot.rfind("zero-shot", 0));
  EXPECT_NE(std::string::npos, zero_shot.find(" 1  0.4100       -  -")) << zero_shot;
  EXPECT_NE(std::string::npos,
            table.find("paired: method - finetune by (backbone seed, data seed) pair"));
  EXPECT_NE(std::string::npos, table.find("ctx_len=16"));
}

// Colours read as their names, unset parameters are left out; CSV keeps the full JSON.
TEST(ReportFormat, NamedValuesByNameAndUnsetParametersOmitted) {
  const json red = {{"name", "red"}, {"rgb", {250, 0, 45}}};
  const json blue = {{"name", "blue"}, {"rgb", {0, 40, 250}}};
  std::vector<TrialOutcome> outcomes = {
      Outcome("cpt", 0, {{"color", red}, {"palette", nullptr}}, 0, 0.65),
      Outcome("cpt", 0, {{"color", nullptr}, {"palette", {red, blue}}}, 0, 0.4)};
  auto report = BuildReport(outcomes, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string md = RenderReport(*report, ReportFormat::kMarkdown);
  EXPECT_NE(md.find("| cpt | color=red | 0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cpt | palette=[red,blue] | 0 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("null"), std::string::npos) << md;
  const std::string csv = RenderReport(*report, ReportFormat::kCsv);
  EXPECT_NE(csv.find("\"rgb\""), std::string::npos) << csv;
}

TEST(ReportFormat, NotesAreRendered) {
  ReportOptions options;
  options.baseline = "linear-probe";
  auto r = BuildReport({Outcome("coop", 1, json::object(), 1, 0.5)}, options);
  ASSERT_TRUE(r.ok());
  const std::string table = RenderReport(*r, ReportFormat::kTable);
  EXPECT_NE(std::string::npos, table.find("note: baseline method 'linear-probe'"));
  const json j = ReportToJson(*r);
  ASSERT_EQ(1u, j["notes"].size());
  EXPECT_TRUE(j["paired"].empty());
}

// Issue 18 item 9: text cells that a spreadsheet would run as a formula are neutralised;
// numbers, negative ones included, are not.
TEST(ReportFormat, CsvNeutralisesFormulaTextButNotNumbers) {
  std::vector<TrialOutcome> outcomes = {Outcome("=HYPERLINK(\"x\")", 0, json::object(), 0, 0.5),
                                        Outcome("=HYPERLINK(\"x\")", 0, json::object(), 1, 0.7),
                                        Outcome("@SUM", 0, json::object(), 0, 0.4)};
  for (auto& o : outcomes) o.sweep = "-cmd";
  ReportOptions options;
  options.baseline = "@SUM";
  auto report = BuildReport(outcomes, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const std::string csv = RenderReport(*report, ReportFormat::kCsv);
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("'@SUM"), std::string::npos) << csv;
  EXPECT_NE(csv.find("'-cmd,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(",=HYPERLINK"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(",@SUM"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("\n-cmd"), std::string::npos) << csv;
  // A negative number (the CI's lower end) stays a number.
  EXPECT_NE(csv.find(",-0.67062047361746913,"), std::string::npos) << csv;
}

}  // namespace
}  // namespace chromatune
