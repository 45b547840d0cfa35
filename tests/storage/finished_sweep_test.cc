#include "storage/finished_sweep.h"

#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

TEST(FinishedSweepTest, EveryTrialIsDoneWithItsResultAndArraysComeFirst) {
  testing::ScratchDir dir;
  auto store = ResultStore::Open(dir.File("runs.db"), StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  NewSweep sweep;
  sweep.name = "synthetic";
  sweep.user = "fixture";
  sweep.spec_yaml = "name: synthetic\n";
  for (int i = 0; i < 1500; ++i) {  // two batches
    auto item = testing::PlanItem("k" + std::to_string(i), "coop", 1, i + 1);
    item["index"] = i;
    sweep.items.push_back(item);
  }
  int64_t seen_leased = 0;
  Status written = WriteFinishedSweep(
      **store, sweep,
      [](int64_t index) {
        TrialResult r;
        r.metrics["accuracy"] = static_cast<double>(index) / 1500;
        return r;
      },
      [&](const std::vector<TrialRecord>& batch) {
        for (const TrialRecord& t : batch) {
          EXPECT_EQ(t.state, TrialState::kPending);  // as listed before the leases
          ++seen_leased;
        }
        auto counts = (*store)->GetSweep("synthetic")->counts;
        EXPECT_EQ(counts.leased, static_cast<int64_t>(batch.size()));  // not yet completed
        return Status::Ok();
      });
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(seen_leased, 1500);
  auto outcomes = (*store)->ListOutcomes("synthetic");
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 1500u);
  for (const TrialOutcome& o : *outcomes) {
    EXPECT_EQ(o.state, "done");
    EXPECT_DOUBLE_EQ(o.metrics.at("accuracy"), (o.data_seed - 1) / 1500.0);
  }
  // A second write of the same sweep is refused and changes nothing.
  Status again = WriteFinishedSweep(**store, sweep, [](int64_t) { return TrialResult{}; });
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("exists already"), std::string::npos) << again.ToString();
  EXPECT_EQ((*store)->GetSweep("synthetic")->counts.done, 1500);
}

}  // namespace
}  // namespace chromatune
