#include "storage/report_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "storage/csv_text.h"
#include "storage/param_text.h"

namespace chromatune {
namespace {

using Row = std::vector<std::string>;

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json IntervalJson(const std::optional<stats::Interval>& ci) {
  if (!ci) return nullptr;
  return nlohmann::json::array({Num(ci->lo), Num(ci->hi)});
}

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// For reading: NaN as "-".
std::string Fixed(double v) { return std::isnan(v) ? "-" : Format("%.4f", v); }
std::string PValue(double v) { return std::isnan(v) ? "-" : Format("%.3g", v); }
std::string Share(double v) { return std::isnan(v) ? "-" : Format("%.2f", v); }
// "backbone/data/train" shares of the variance, "-" where a source is not estimable.
std::string SharesText(const stats::VarianceSplit& v) {
  return Share(v.share_backbone) + "/" + Share(v.share_data) + "/" + Share(v.share_train);
}
std::string IntervalText(const std::optional<stats::Interval>& ci) {
  return ci ? "[" + Fixed(ci->lo) + ", " + Fixed(ci->hi) + "]" : "-";
}
// For machines: NaN as empty, 17 significant digits round-trip.
std::string Full(double v) { return std::isnan(v) ? "" : Format("%.17g", v); }

// Swept parameters as "k=v k=v" (storage/param_text.h); "-" when none. Machine formats
// (CSV, JSON) keep the full values.
std::string ParamsOrDash(const nlohmann::json& params) {
  std::string text = ParamsText(params);
  return text.empty() ? "-" : text;
}

std::string BaselineText(const PairedComparison& p) {
  const std::string params = ParamsOrDash(p.baseline_swept);
  return params == "-" ? p.baseline : p.baseline + " " + params;
}

std::string GroupTitle(const std::string& sweep, const std::string& task,
                       const std::string& dataset) {
  return "sweep " + sweep + " / " + task + " / " + dataset;
}

const Row kCellHeader = {"method", "params", "shots", "n", "mean", "std", "ci95", "share B/D/T"};
const Row kPairedHeader = {"method", "params", "baseline",  "shots", "pairs",     "diff",
                           "ci95",   "p(t)",   "p(t) Holm", "p(W)",  "p(W) Holm", "note"};
// Columns right-aligned in the table (numbers).
bool IsNumericColumn(const std::string& name) {
  return name != "method" && name != "params" && name != "baseline" && name != "note" &&
         name != "ci95";
}

Row CellRow(const ReportCell& c) {
  return {c.method,
          ParamsOrDash(c.swept),
          std::to_string(c.shots),
          std::to_string(c.n),
          Fixed(c.mean),
          Fixed(c.std),
          IntervalText(c.ci95),
          c.variance ? SharesText(*c.variance) : "-"};
}

Row PairedRow(const PairedComparison& p) {
  return {p.method,
          ParamsOrDash(p.swept),
          BaselineText(p),
          std::to_string(p.shots),
          std::to_string(p.n_pairs),
          Fixed(p.mean_diff),
          IntervalText(p.ci95),
          PValue(p.p_t),
          PValue(p.p_t_holm),
          PValue(p.p_wilcoxon) + (p.wilcoxon_exact ? " (exact)" : ""),
          PValue(p.p_wilcoxon_holm),
          p.note.empty() ? "-" : p.note};
}

// Rows of `items` grouped by (sweep, task, dataset), in order (items are sorted so).
template <typename T, typename RowFn>
std::vector<std::pair<std::string, std::vector<Row>>> Grouped(const std::vector<T>& items,
                                                              RowFn row) {
  std::vector<std::pair<std::string, std::vector<Row>>> groups;
  for (const auto& item : items) {
    const std::string title = GroupTitle(item.sweep, item.task, item.dataset);
    if (groups.empty() || groups.back().first != title) groups.push_back({title, {}});
    groups.back().second.push_back(row(item));
  }
  return groups;
}

void AppendAligned(std::string& out, const Row& header, const std::vector<Row>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  const auto line = [&](const Row& r) {
    std::string text;
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string pad(width[i] - r[i].size(), ' ');
      text += IsNumericColumn(header[i]) ? pad + r[i] : r[i] + (i + 1 < r.size() ? pad : "");
      if (i + 1 < r.size()) text += "  ";
    }
    out += text + "\n";
  };
  line(header);
  std::string rule;
  for (size_t i = 0; i < width.size(); ++i)
    rule += std::string(width[i], '-') + (i + 1 < width.size() ? "  " : "");
  out += rule + "\n";
  for (const auto& r : rows) line(r);
}

std::string MarkdownEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out;
}

void AppendMarkdownTable(std::string& out, const Row& header, const std::vector<Row>& rows) {
  const auto line = [&](const Row& r) {
    out += "|";
    for (const auto& cell : r) out += " " + MarkdownEscape(cell) + " |";
    out += "\n";
  };
  line(header);
  out += "|";
  for (const auto& name : header) out += IsNumericColumn(name) ? " ---: |" : " --- |";
  out += "\n";
  for (const auto& r : rows) line(r);
}

std::string CellsTitle(const Report& r) {
  return r.metric + " over replicates: mean, std (ddof " + std::to_string(r.ddof) +
         "), 95% interval with backbone and data seeds as random effects; share B/D/T = "
         "shares of variance due to backbone, data and train seeds";
}

std::string PairedTitle(const Report& r) {
  return "paired: method - " + r.baseline +
         " by (backbone seed, data seed) pair (train seeds averaged first); Holm across shot "
         "counts";
}

std::string RenderText(const Report& report, bool markdown) {
  std::string out;
  const auto heading = [&](const std::string& text, int level) {
    out += markdown ? std::string(level, '#') + " " + text + "\n\n" : text + "\n";
  };
  const auto table = [&](const Row& header, const std::vector<Row>& rows) {
    if (markdown) {
      AppendMarkdownTable(out, header, rows);
    } else {
      AppendAligned(out, header, rows);
    }
    out += "\n";
  };
  heading(CellsTitle(report), 2);
  if (!markdown) out += "\n";
  if (report.cells.empty()) out += "(no cells)\n\n";
  for (const auto& [title, rows] : Grouped(report.cells, CellRow)) {
    heading(title, 3);
    table(kCellHeader, rows);
  }
  if (!report.paired.empty()) {
    heading(PairedTitle(report), 2);
    if (!markdown) out += "\n";
    for (const auto& [title, rows] : Grouped(report.paired, PairedRow)) {
      heading(title, 3);
      table(kPairedHeader, rows);
    }
  }
  if (report.search) {
    const SearchSummary& s = *report.search;
    heading("Search", 2);
    if (!markdown) out += "\n";
    out += std::to_string(s.configs) + " configurations, " + std::to_string(s.stopped_early) +
           " stopped early (" + std::to_string(s.trials_stopped) + " trials); " +
           std::to_string(s.epochs_run) + " trial-epochs run of " +
           std::to_string(s.epochs_if_full) + " if every trial ran to the end\n\n";
    if (!s.stopped.empty()) {
      heading("Stopped trials (not in the cells above)", 3);
      std::vector<Row> rows;
      for (const auto& t : s.stopped) {
        rows.push_back({std::to_string(t.trial_id), t.method, std::to_string(t.shots),
                        std::to_string(t.data_seed) + "/" + std::to_string(t.train_seed),
                        ParamsOrDash(t.params), "rung " + std::to_string(t.rung),
                        std::to_string(t.epochs_run)});
      }
      table({"trial", "method", "shots", "seeds", "params", "stopped at", "epochs run"}, rows);
    }
  }
  for (const auto& note : report.notes) out += (markdown ? "- note: " : "note: ") + note + "\n";
  return out;
}

// A number as written (Full, to_string, "") stays as it is; every other cell is text: names,
// parameters and notes that start with = + - @ are neutralised (storage/csv_text.h, CSV
// injection), so "-0.5" stays a number and "=HYPERLINK(...)" shows as text.
std::string CsvField(const std::string& s) {
  if (s.empty()) return s;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size() && s.find_first_of(" \t") == std::string::npos) return s;
  return CsvText(s);
}

void AppendCsvRow(std::string& out, const Row& row) {
  for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + CsvField(row[i]);
  out += "\n";
}

std::string RenderCsv(const Report& report) {
  std::string out;
  AppendCsvRow(out, {"sweep",       "task",         "dataset",  "method",         "shots",
                     "params",      "swept",        "n",        "mean",           "std",
                     "ci95_lo",     "ci95_hi",      "ci95_df",  "backbone_seeds", "data_seeds",
                     "train_seeds", "var_backbone", "var_data", "var_train",      "share_backbone",
                     "share_data",  "share_train"});
  for (const auto& c : report.cells) {
    const auto& v = c.variance;
    const auto component = [&v](double stats::VarianceSplit::*field) {
      return v ? Full((*v).*field) : std::string();
    };
    AppendCsvRow(out, {c.sweep,
                       c.task,
                       c.dataset,
                       c.method,
                       std::to_string(c.shots),
                       c.params.dump(),
                       c.swept.dump(),
                       std::to_string(c.n),
                       Full(c.mean),
                       Full(c.std),
                       c.ci95 ? Full(c.ci95->lo) : "",
                       c.ci95 ? Full(c.ci95->hi) : "",
                       Full(c.ci95_df),
                       std::to_string(c.backbone_seeds),
                       std::to_string(c.data_seeds),
                       std::to_string(c.train_seeds),
                       component(&stats::VarianceSplit::var_backbone),
                       component(&stats::VarianceSplit::var_data),
                       component(&stats::VarianceSplit::var_train),
                       component(&stats::VarianceSplit::share_backbone),
                       component(&stats::VarianceSplit::share_data),
                       component(&stats::VarianceSplit::share_train)});
  }
  out += "\n";
  AppendCsvRow(out, {"sweep",
                     "task",
                     "dataset",
                     "method",
                     "params",
                     "shots",
                     "baseline",
                     "baseline_params",
                     "n_pairs",
                     "mean_diff",
                     "ci95_lo",
                     "ci95_hi",
                     "df",
                     "t",
                     "p_t",
                     "p_t_holm",
                     "p_wilcoxon",
                     "p_wilcoxon_holm",
                     "wilcoxon_exact",
                     "note"});
  for (const auto& p : report.paired) {
    AppendCsvRow(out, {p.sweep,
                       p.task,
                       p.dataset,
                       p.method,
                       p.swept.dump(),
                       std::to_string(p.shots),
                       p.baseline,
                       p.baseline_swept.dump(),
                       std::to_string(p.n_pairs),
                       Full(p.mean_diff),
                       p.ci95 ? Full(p.ci95->lo) : "",
                       p.ci95 ? Full(p.ci95->hi) : "",
                       Full(p.df),
                       Full(p.t),
                       Full(p.p_t),
                       Full(p.p_t_holm),
                       Full(p.p_wilcoxon),
                       Full(p.p_wilcoxon_holm),
                       p.wilcoxon_exact ? "true" : "false",
                       p.note});
  }
  return out;
}

}  // namespace

Result<ReportFormat> ParseReportFormat(const std::string& text) {
  if (text == "table") return ReportFormat::kTable;
  if (text == "md") return ReportFormat::kMarkdown;
  if (text == "csv") return ReportFormat::kCsv;
  if (text == "json") return ReportFormat::kJson;
  return InvalidArgument("unknown report format '" + text + "' (use table, md, csv or json)");
}

nlohmann::json ReportToJson(const Report& report) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& c : report.cells) {
    nlohmann::json variance;
    if (c.variance) {
      const auto& v = *c.variance;
      variance = {{"var_backbone", Num(v.var_backbone)}, {"var_data", Num(v.var_data)},
                  {"var_train", Num(v.var_train)},       {"share_backbone", Num(v.share_backbone)},
                  {"share_data", Num(v.share_data)},     {"share_train", Num(v.share_train)}};
    }
    cells.push_back({{"sweep", c.sweep},
                     {"task", c.task},
                     {"dataset", c.dataset},
                     {"method", c.method},
                     {"shots", c.shots},
                     {"params", c.params},
                     {"swept", c.swept},
                     {"n", c.n},
                     {"mean", Num(c.mean)},
                     {"std", Num(c.std)},
                     {"ci95", IntervalJson(c.ci95)},
                     {"ci95_df", Num(c.ci95_df)},
                     {"backbone_seeds", c.backbone_seeds},
                     {"data_seeds", c.data_seeds},
                     {"train_seeds", c.train_seeds},
                     {"variance", variance},
                     {"variance_note", c.variance_note}});
  }
  nlohmann::json paired = nlohmann::json::array();
  for (const auto& p : report.paired) {
    paired.push_back({{"sweep", p.sweep},
                      {"task", p.task},
                      {"dataset", p.dataset},
                      {"method", p.method},
                      {"params", p.swept},
                      {"shots", p.shots},
                      {"baseline", p.baseline},
                      {"baseline_params", p.baseline_swept},
                      {"baseline_found", p.baseline_found},
                      {"n_pairs", p.n_pairs},
                      {"mean_diff", Num(p.mean_diff)},
                      {"ci95", IntervalJson(p.ci95)},
                      {"df", Num(p.df)},
                      {"t", Num(p.t)},
                      {"p_t", Num(p.p_t)},
                      {"p_t_holm", Num(p.p_t_holm)},
                      {"p_wilcoxon", Num(p.p_wilcoxon)},
                      {"p_wilcoxon_holm", Num(p.p_wilcoxon_holm)},
                      {"wilcoxon_exact", p.wilcoxon_exact},
                      {"note", p.note}});
  }
  nlohmann::json out = {
      {"metric", report.metric}, {"ddof", report.ddof}, {"baseline", report.baseline},
      {"cells", cells},          {"paired", paired},    {"notes", report.notes}};
  if (report.search) out["search"] = SearchSummaryToJson(*report.search);
  return out;
}

std::string RenderReport(const Report& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return RenderText(report, /*markdown=*/false);
    case ReportFormat::kMarkdown:
      return RenderText(report, /*markdown=*/true);
    case ReportFormat::kCsv:
      return RenderCsv(report);
    case ReportFormat::kJson:
      return ReportToJson(report).dump(2) + "\n";
  }
  return "";
}

}  // namespace chromatune
