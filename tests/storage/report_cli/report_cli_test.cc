// `chromatune report` end to end: a store filled through the result store API, then the
// binary run with each format and with each kind of bad input (exit 2, one clear line).
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/result_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout, then stderr
};

CliRun Report(const std::string& args) {
  const std::string command = std::string(CHROMATUNE_EXE) + " report " + args + " 2>&1";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("results.db");
    auto store = ResultStore::Open(db_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    NewSweep sweep;
    sweep.name = "cli";
    sweep.user = "tester";
    sweep.spec_yaml = "name: cli\n";
    const double accuracies[] = {0.50, 0.60, 0.55, 0.58, 0.66, 0.61};
    for (int i = 0; i < 6; ++i) {
      auto item =
          testing::PlanItem("k" + std::to_string(i), i < 3 ? "finetune" : "coop", 1, i % 3 + 1);
      item["index"] = i;
      sweep.items.push_back(item);
    }
    auto created = (*store)->CreateSweep(sweep);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    WorkerGroupInfo info;
    info.host = "test";
    auto group = (*store)->RegisterWorkerGroup(info);
    ASSERT_TRUE(group.ok());
    TrialFilter filter;
    filter.limit = 0;
    auto rows = (*store)->ListTrials(filter);
    ASSERT_TRUE(rows.ok());
    for (const auto& row : *rows) {
      auto lease = (*store)->Lease(row.id, *group, INT64_MAX);
      ASSERT_TRUE(lease.ok());
      TrialResult result;
      result.metrics["accuracy"] = accuracies[row.index];
      ASSERT_TRUE((*store)->Complete(row.id, lease->attempt, result).ok());
    }
  }

  testing::ScratchDir dir_;
  std::string db_;
};

TEST_F(ReportCliTest, TableByDefault) {
  CliRun run = Report("--db " + db_);
  ASSERT_EQ(0, run.exit_code) << run.output;
  EXPECT_NE(std::string::npos, run.output.find("sweep cli / classification / fashion-mnist"));
  EXPECT_NE(std::string::npos, run.output.find("paired: method - finetune"));
}

TEST_F(ReportCliTest, JsonForm) {
  CliRun run = Report("--db " + db_ + " --sweep cli --format json --ddof 0");
  ASSERT_EQ(0, run.exit_code) << run.output;
  const auto j = nlohmann::json::parse(run.output);
  ASSERT_EQ(2u, j["cells"].size());
  EXPECT_EQ(0, j["ddof"]);
  EXPECT_EQ(3, j["cells"][0]["n"]);
  ASSERT_EQ(1u, j["paired"].size());
  EXPECT_EQ(3, j["paired"][0]["n_pairs"]);
}

TEST_F(ReportCliTest, UnknownSweep) {
  CliRun run = Report("--db " + db_ + " --sweep nope");
  EXPECT_EQ(2, run.exit_code);
  EXPECT_NE(std::string::npos, run.output.find("unknown sweep 'nope'")) << run.output;
  EXPECT_NE(std::string::npos, run.output.find("(sweeps: cli)")) << run.output;
}

TEST_F(ReportCliTest, UnknownMetric) {
  CliRun run = Report("--db " + db_ + " --metric f1");
  EXPECT_EQ(2, run.exit_code);
  EXPECT_NE(std::string::npos, run.output.find("unknown metric 'f1'")) << run.output;
}

TEST_F(ReportCliTest, BadOptions) {
  EXPECT_EQ(2, Report("--db " + db_ + " --format xml").exit_code);
  EXPECT_EQ(2, Report("--db " + db_ + " --ddof -1").exit_code);
  EXPECT_EQ(2, Report("").exit_code);  // --db is required
}

TEST(ReportCli, MissingAndInvalidDatabase) {
  testing::ScratchDir dir;
  CliRun missing = Report("--db " + dir.File("absent.db"));
  EXPECT_EQ(2, missing.exit_code);
  EXPECT_NE(std::string::npos, missing.output.find(dir.File("absent.db"))) << missing.output;
  std::ofstream(dir.File("text.db")) << "not a database\n";
  CliRun invalid = Report("--db " + dir.File("text.db"));
  EXPECT_EQ(2, invalid.exit_code);
  EXPECT_NE(std::string::npos, invalid.output.find(dir.File("text.db"))) << invalid.output;
}

}  // namespace
}  // namespace chromatune
