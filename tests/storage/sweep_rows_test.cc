#include "storage/sweep_rows.h"

#include <gtest/gtest.h>

#include "storage/finished_sweep.h"
#include "storage/result_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

TEST(SweepRowsTest, TrialsWithTheirItemFieldsParamsMetricsAndWorker) {
  testing::ScratchDir dir;
  const std::string path = dir.File("runs.db");
  {
    auto store = ResultStore::Open(path, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    NewSweep sweep;
    sweep.name = "s";
    sweep.user = "u";
    for (int i = 0; i < 5; ++i) {
      auto item = testing::PlanItem("k" + std::to_string(i), "coop", 4, i + 1);
      item["index"] = i;
      item["params"] = {{"lr", 0.002}, {"color", {{"name", "red"}}}};
      item["precision"] = "bf16";
      item["dataset_options"] = {{"eval", {{"split", {"val", "testA"}}}}};
      sweep.items.push_back(item);
    }
    ASSERT_TRUE(WriteFinishedSweep(**store, sweep, [](int64_t index) {
                  TrialResult r;
                  r.metrics["accuracy"] = 0.5 + 0.1 * static_cast<double>(index);
                  if (index == 0) r.metrics["extra"] = 1.0;
                  r.curves = {{"loss", 1, 2.0}, {"loss", 2, 1.0}};
                  r.info = {{"device", "cuda:0"}, {"epochs_run", 3}};
                  return r;
                }).ok());
  }
  auto rows = SweepRows::Open(path, "s");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  auto params = (*rows)->ParamNames();
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(*params, (std::vector<std::string>{"color", "lr"}));
  auto metrics = (*rows)->MetricNames();
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(*metrics, (std::vector<std::string>{"accuracy", "extra"}));
  std::vector<SweepTrialRow> trials;
  ASSERT_TRUE((*rows)
                  ->ForEachTrial([&](const SweepTrialRow& r) {
                    trials.push_back(r);
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_EQ(trials.size(), 5u);
  for (size_t i = 0; i < trials.size(); ++i) {
    const SweepTrialRow& r = trials[i];
    EXPECT_EQ(r.sweep, "s");
    EXPECT_EQ(r.state, "done");
    EXPECT_EQ(r.method, "coop");
    EXPECT_EQ(r.data_seed, static_cast<int64_t>(i + 1));
    EXPECT_EQ(r.precision, "bf16");
    EXPECT_EQ(r.eval_split, "val,testA");
    EXPECT_EQ(r.device, "cuda:0");
    EXPECT_EQ(r.epochs_run, 3);
    EXPECT_EQ(r.worker_host, "synthetic");
    EXPECT_TRUE(r.worker_group.has_value());
    EXPECT_EQ(r.params["lr"], 0.002);
    EXPECT_DOUBLE_EQ(r.metrics.at("accuracy"), 0.5 + 0.1 * static_cast<double>(i));
    EXPECT_EQ(r.metrics.count("extra"), i == 0 ? 1u : 0u);
  }
  int points = 0;
  ASSERT_TRUE((*rows)
                  ->ForEachCurvePoint([&](const SweepCurveRow& r) {
                    EXPECT_EQ(r.curve, "loss");
                    EXPECT_EQ(r.step, 1 + points % 2);
                    ++points;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(points, 10);
  // An error from the callback stops the walk and is returned.
  int seen = 0;
  Status stopped = (*rows)->ForEachTrial([&](const SweepTrialRow&) {
    ++seen;
    return IoError("disk full");
  });
  EXPECT_EQ(stopped.code(), StatusCode::kIoError);
  EXPECT_EQ(seen, 1);
}

TEST(SweepRowsTest, UnknownSweepListsTheSweepsAndMissingFileIsNotFound) {
  testing::ScratchDir dir;
  const std::string path = dir.File("runs.db");
  {
    auto store = ResultStore::Open(path, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok());
  }
  auto rows = SweepRows::Open(path, "nope");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kNotFound);
  EXPECT_NE(rows.status().message().find("unknown sweep 'nope'"), std::string::npos);
  auto missing = SweepRows::Open(dir.File("none.db"), "s");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace chromatune
