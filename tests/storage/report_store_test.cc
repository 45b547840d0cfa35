// storage/report_store: the report read through a read-only result store, and its errors
// (missing file, not a database, unknown sweep, unknown metric), none of which writes.
#include "storage/report_store.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/result_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using nlohmann::json;
using testing::ScratchDir;

struct PlannedTrial {
  std::string method;
  int shots;
  int data_seed;
  double accuracy;         // < 0: leave the trial pending
  int backbone_seed = -1;  // < 0: an item without backbone_seed
  int train_seed = 1;
};

// Creates sweep `name` with one trial per entry, completing those with an accuracy.
void AddSweep(ResultStore& store, const std::string& name,
              const std::vector<PlannedTrial>& trials) {
  NewSweep sweep;
  sweep.name = name;
  sweep.user = "tester";
  sweep.spec_yaml = "name: " + name + "\n";
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    json item = testing::PlanItem(name + "-" + std::to_string(i), t.method, t.shots, t.data_seed);
    item["index"] = i;
    item["train_seed"] = t.train_seed;
    if (t.backbone_seed >= 0) item["backbone_seed"] = t.backbone_seed;
    sweep.items.push_back(std::move(item));
  }
  auto created = store.CreateSweep(sweep);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  WorkerGroupInfo info;
  info.host = "test";
  info.devices = {"cpu"};
  info.version = "test";
  auto group = store.RegisterWorkerGroup(info);
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  TrialFilter filter;
  filter.sweep_id = created->sweep_id;
  filter.limit = 0;
  auto rows = store.ListTrials(filter);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(trials.size(), rows->size());
  for (const TrialRecord& row : *rows) {
    const double accuracy = trials.at(static_cast<size_t>(row.index)).accuracy;
    if (accuracy < 0) continue;
    auto lease = store.Lease(row.id, *group, INT64_MAX);
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    TrialResult result;
    result.metrics = {{"accuracy", accuracy}, {"loss", 1.0 - accuracy}};
    ASSERT_TRUE(store.Complete(row.id, lease->attempt, result).ok());
  }
}

class ReportStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("results.db");
    auto store = ResultStore::Open(db_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    AddSweep(**store, "first",
             {{"finetune", 1, 1, 0.50},
              {"finetune", 1, 2, 0.60},
              {"finetune", 1, 3, 0.55},
              {"coop", 1, 1, 0.58},
              {"coop", 1, 2, 0.66},
              {"coop", 1, 3, 0.61},
              {"coop", 1, 4, -1.0}});  // still pending: not in the report
    AddSweep(**store, "second", {{"coop", 2, 1, 0.70}, {"coop", 2, 2, 0.72}});
  }

  ScratchDir dir_;
  std::string db_;
};

TEST_F(ReportStoreTest, OneSweep) {
  auto report = ReportFromStore(db_, "first", {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(2u, report->cells.size());
  EXPECT_EQ("finetune", report->cells[0].method);
  EXPECT_EQ(3, report->cells[0].n);
  EXPECT_NEAR(0.55, report->cells[0].mean, 1e-12);
  EXPECT_EQ("coop", report->cells[1].method);
  EXPECT_EQ(3, report->cells[1].n);  // the pending trial is left out
  ASSERT_EQ(1u, report->paired.size());
  EXPECT_EQ(3, report->paired[0].n_pairs);
  EXPECT_NEAR(0.0666666666666667, report->paired[0].mean_diff, 1e-12);
}

// A sweep with replicates.backbone_seeds: the store gives each outcome its item's backbone
// seed, and the report splits the variance between backbone, data and train seeds.
TEST_F(ReportStoreTest, BackboneSeedsReachTheReport) {
  {
    auto store = ResultStore::Open(db_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<PlannedTrial> trials;
    for (int backbone : {7, 8}) {
      for (int data : {1, 2, 3}) {
        for (int train : {1, 2}) {
          // Backbone 8 is 0.25 better; data seeds and train seeds matter less. Dyadic values.
          const double accuracy =
              0.5 + 0.25 * (backbone - 7) + 0.0625 * (data - 2) + 0.015625 * (train == 1 ? 1 : -1);
          trials.push_back({"coop", 1, data, accuracy, backbone, train});
          trials.push_back({"finetune", 1, data, accuracy - 0.03125 * backbone, backbone, train});
        }
      }
    }
    AddSweep(**store, "backbones", trials);
    auto outcomes = (*store)->ListOutcomes("backbones");
    ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
    ASSERT_EQ(24u, outcomes->size());
    for (const auto& o : *outcomes) {
      ASSERT_TRUE(o.backbone_seed.has_value());
      EXPECT_EQ(*o.backbone_seed, trials.at(static_cast<size_t>(o.trial_id - 10)).backbone_seed)
          << o.trial_id;
    }
    // Items without the field (the sweeps of SetUp) have none.
    auto plain = (*store)->ListOutcomes("first");
    ASSERT_TRUE(plain.ok());
    for (const auto& o : *plain) EXPECT_FALSE(o.backbone_seed.has_value());
  }
  auto report = ReportFromStore(db_, "backbones", {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(2u, report->cells.size());
  const ReportCell& coop = report->cells[0];
  EXPECT_EQ("coop", coop.method);
  EXPECT_EQ(12, coop.n);
  EXPECT_EQ(2, coop.backbone_seeds);
  EXPECT_EQ(3, coop.data_seeds);
  EXPECT_EQ(2, coop.train_seeds);
  ASSERT_TRUE(coop.variance.has_value()) << coop.variance_note;
  // Additive effects without interaction: var_B = 0.25^2 / 2, var_D = 0.0625^2, var_e =
  // 2 * 0.015625^2 (two train seeds at ±0.015625: sample variance 2 * 0.015625^2).
  EXPECT_NEAR(0.03125, coop.variance->var_backbone, 1e-12);
  EXPECT_NEAR(0.00390625, coop.variance->var_data, 1e-12);
  EXPECT_NEAR(2 * 0.015625 * 0.015625, coop.variance->var_train, 1e-12);
  EXPECT_GT(coop.variance->share_backbone, 0.85);
  // The paired unit is the (backbone seed, data seed) pair: 6 pairs whose differences are
  // 0.03125 * backbone seed.
  ASSERT_EQ(1u, report->paired.size());
  EXPECT_EQ(6, report->paired[0].n_pairs);
  EXPECT_NEAR(0.03125 * 7.5, report->paired[0].mean_diff, 1e-12);
}

TEST_F(ReportStoreTest, AllSweepsKeepTheirCellsApart) {
  auto report = ReportFromStore(db_, "", {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(3u, report->cells.size());
  EXPECT_EQ("second", report->cells[2].sweep);
  EXPECT_EQ(2, report->cells[2].n);
}

TEST_F(ReportStoreTest, OtherMetric) {
  ReportOptions options;
  options.metric = "loss";
  auto report = ReportFromStore(db_, "second", options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(1u, report->cells.size());
  EXPECT_NEAR(0.29, report->cells[0].mean, 1e-12);
}

TEST_F(ReportStoreTest, UnknownSweepNamesTheKnownOnes) {
  auto report = ReportFromStore(db_, "thrid", {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(StatusCode::kNotFound, report.status().code());
  const std::string& message = report.status().message();
  EXPECT_NE(std::string::npos, message.find(db_)) << message;
  EXPECT_NE(std::string::npos, message.find("unknown sweep 'thrid'")) << message;
  EXPECT_NE(std::string::npos, message.find("first")) << message;
  EXPECT_NE(std::string::npos, message.find("second")) << message;
}

TEST_F(ReportStoreTest, UnknownMetric) {
  ReportOptions options;
  options.metric = "f1";
  auto report = ReportFromStore(db_, "first", options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(StatusCode::kNotFound, report.status().code());
  EXPECT_NE(std::string::npos, report.status().message().find(db_));
  EXPECT_NE(std::string::npos, report.status().message().find("unknown metric 'f1'"));
  EXPECT_NE(std::string::npos, report.status().message().find("accuracy, loss"));
}

TEST(ReportStore, MissingDatabaseIsNotCreated) {
  ScratchDir dir;
  const std::string path = dir.File("absent.db");
  auto report = ReportFromStore(path, "", {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(StatusCode::kNotFound, report.status().code());
  EXPECT_NE(std::string::npos, report.status().message().find(path));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ReportStore, NotADatabaseIsLeftAlone) {
  ScratchDir dir;
  const std::string path = dir.File("notes.db");
  const std::string text = "these are my notes, not a database\n";
  std::ofstream(path) << text;
  auto report = ReportFromStore(path, "", {});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(std::string::npos, report.status().message().find(path));
  std::ifstream in(path);
  EXPECT_EQ(text, std::string(std::istreambuf_iterator<char>(in), {}));
}

}  // namespace
}  // namespace chromatune
