// Runs the built `chromatune sweep validate|plan` on fixture files.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/experiments/sweep/sweep_fixtures.h"

namespace chromatune {
namespace {

using testing::TempDir;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

class SweepCliTest : public ::testing::Test {
 protected:
  // Runs chromatune with `args` (already shell-quoted where needed).
  CliResult Chromatune(const std::string& args) {
    const std::string out = dir_.path() + "/stdout";
    const std::string err = dir_.path() + "/stderr";
    const std::string command =
        std::string(CHROMATUNE_BIN_PATH) + " " + args + " >" + out + " 2>" + err;
    const int status = std::system(command.c_str());
    CliResult run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = ReadFile(out);
    run.err = ReadFile(err);
    return run;
  }

  TempDir dir_;
};

const char* kValid =
    "name: cli\ntask: classification\ndataset: fashion-mnist\nshots: [0, 1, 2]\n"
    "replicates: {data_seeds: [1, 2]}\nmethods:\n  - zero-shot\n"
    "  - {name: coop, ctx_len: [4, 16]}\n";

TEST_F(SweepCliTest, ValidateOk) {
  const std::string file = dir_.Write("ok.yaml", kValid);
  CliResult r = Chromatune("sweep validate " + file);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, file + ": ok (9 trials)\n");  // 1 + 2 settings x 2 shots x 2 seeds
  EXPECT_EQ(r.err, "");
}

TEST_F(SweepCliTest, ValidateReportsEveryProblemOnePerLine) {
  const std::string file = dir_.Write(
      "bad.yaml",
      "name: cli\ntask: grounding\ndataset: fashion-ref\nshots: [0, -1]\nmethods:\n"
      "  - red-circle\n  - {name: cpt, color: [red, purpel], alpha: 1.5}\n  - {name: copo}\n"
      "rerun: maybe\n");
  CliResult r = Chromatune("sweep validate " + file);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Lines(r.err),
            (std::vector<std::string>{
                file + ":4:12: shots[1]: must be >= 0 and <= 100000, got -1",
                file + ":7:30: methods[1].color[1]: unknown colour \"purpel\" (did you mean "
                       "\"purple\"?)",
                file + ":7:46: methods[1].alpha: must be >= 0 and <= 1, got 1.5",
                file + ":8:12: methods[2].name: unknown method \"copo\" (did you mean \"coop\"?); "
                       "known: zero-shot, ensemble, coop, vpt, pad-prompt, cpt, red-circle, "
                       "linear-probe, finetune, noop",
                file + ":9:8: rerun: expected true or false, got the string \"maybe\"",
            }));
}

TEST_F(SweepCliTest, ValidateMissingNotYamlAndPlanTimeProblems) {
  CliResult missing = Chromatune("sweep validate " + dir_.path() + "/none.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, dir_.path() + "/none.yaml: sweep file not found\n");

  const std::string garbage = dir_.Write("garbage.yaml", "name: [x\n  : : {\n");
  CliResult not_yaml = Chromatune("sweep validate " + garbage);
  EXPECT_EQ(not_yaml.exit_code, 2);
  EXPECT_EQ(not_yaml.err.rfind(garbage + ":", 0), 0u) << not_yaml.err;
  EXPECT_NE(not_yaml.err.find("not valid YAML"), std::string::npos);

  const std::string init =
      dir_.Write("init.yaml",
                 "name: cli\ntask: classification\ndataset: fashion-mnist\nshots: 1\n"
                 "methods:\n  - {name: coop, ctx_len: 2, init: a photo of a}\n");
  CliResult plan_time = Chromatune("sweep validate " + init);
  EXPECT_EQ(plan_time.exit_code, 2);
  EXPECT_EQ(plan_time.err, init +
                               ":6:36: methods[0].init: \"a photo of a\" has 4 words, more "
                               "than ctx_len 2 context vectors to initialise\n");
}

TEST_F(SweepCliTest, RefusesAMillionTrialsWithoutForce) {
  std::string seeds = "[";
  for (int i = 0; i < 1001; ++i) seeds += (i > 0 ? "," : "") + std::to_string(i);
  seeds += "]";
  const std::string file =
      dir_.Write("big.yaml",
                 "name: big\ntask: classification\ndataset: fashion-mnist\nshots: 1\n"
                 "replicates: {data_seeds: " +
                     seeds + ", train_seeds: " + seeds + "}\nmethods: [noop]\n");
  for (const char* command : {"sweep validate ", "sweep plan "}) {
    CliResult r = Chromatune(command + file);
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_EQ(r.err, file +
                         ": sweep \"big\" plans 1,002,001 trials, more than the limit of "
                         "1,000,000; pass --force to plan it anyway\n");
  }
}

TEST_F(SweepCliTest, PlanJson) {
  const std::string file = dir_.Write("ok.yaml", kValid);
  CliResult r = Chromatune("sweep plan " + file + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sweep"], "cli");
  EXPECT_EQ(j["trials"], 9);
  ASSERT_EQ(j["items"].size(), 9u);
  EXPECT_EQ(j["items"][0]["method"], "zero-shot");
  EXPECT_EQ(j["items"][0]["params"]["template"], "a photo of a {}.");
  EXPECT_EQ(j["items"][1]["params"]["ctx_len"], 4);
  EXPECT_EQ(j["items"][8]["index"], 8);
  // --force is accepted and changes nothing below the limit.
  CliResult forced = Chromatune("sweep plan " + file + " --format json --force");
  EXPECT_EQ(forced.out, r.out);
}

TEST_F(SweepCliTest, PlanTable) {
  const std::string file = dir_.Write("ok.yaml", kValid);
  CliResult r = Chromatune("sweep plan " + file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u + 9u);
  EXPECT_EQ(lines[0], "sweep cli: 9 trials");
  EXPECT_EQ(lines[1].rfind("index   key ", 0), 0u);
  EXPECT_NE(lines[2].find("zero-shot"), std::string::npos);
  EXPECT_NE(lines[2].find("template=\"a photo of a {}.\""), std::string::npos);
  EXPECT_NE(lines[3].find("ctx_len=4"), std::string::npos);
  CliResult json = Chromatune("sweep plan " + file + " --format json");
  const std::string key = nlohmann::json::parse(json.out)["items"][1]["key"];
  EXPECT_NE(lines[3].find(key.substr(0, 16)), std::string::npos);
  EXPECT_EQ(lines[1].find("backbone_seed"), std::string::npos);
  // With backbone seeds, each row says which pretraining run it uses.
  const std::string seeded =
      dir_.Write("seeded.yaml",
                 "name: cli\ntask: classification\ndataset: fashion-mnist\nshots: 1\n"
                 "replicates: {backbone_seeds: [3, 4]}\nmethods: [linear-probe]\n");
  CliResult s = Chromatune("sweep plan " + seeded);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto rows = Lines(s.out);
  ASSERT_EQ(rows.size(), 2u + 2u);
  EXPECT_NE(rows[1].find("shots  backbone_seed  data_seed"), std::string::npos) << rows[1];
  EXPECT_NE(rows[2].find("1      3              1"), std::string::npos) << rows[2];
  EXPECT_NE(rows[3].find("1      4              1"), std::string::npos) << rows[3];
}

TEST_F(SweepCliTest, BadUsageIsExitTwo) {
  const std::string file = dir_.Write("ok.yaml", kValid);
  EXPECT_EQ(Chromatune("sweep plan " + file + " --format yaml").exit_code, 2);
  EXPECT_EQ(Chromatune("sweep").exit_code, 2);
  EXPECT_EQ(Chromatune("sweep validate").exit_code, 2);
}

TEST_F(SweepCliTest, ExamplesValidate) {
  CliResult c = Chromatune("sweep validate experiments/sweeps/example-classification.yaml");
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out, "experiments/sweeps/example-classification.yaml: ok (47 trials)\n");
  CliResult g = Chromatune("sweep validate experiments/sweeps/example-grounding.yaml");
  EXPECT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out, "experiments/sweeps/example-grounding.yaml: ok (58 trials)\n");
}

}  // namespace
}  // namespace chromatune
