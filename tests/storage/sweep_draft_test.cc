// A sweep stored in steps (storage/sweep_draft.h): invisible until finished, discarded whole,
// and a resume in steps that does what CreateSweep does.
#include "storage/sweep_draft.h"

#include <gtest/gtest.h>

#include "storage/result_store.h"
#include "storage/sqlite_db.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using testing::PlanItem;

class SweepDraftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("results.db");
    Reopen();
  }
  void Reopen() {
    store_.reset();
    auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  // `n` items; replicates of 5 share a template (data seeds 1..5 of one setting).
  static NewSweep Sweep(const std::string& name, int n, int first = 0) {
    NewSweep s;
    s.name = name;
    s.spec_yaml = "name: " + name + "\n";
    s.user = "alice";
    for (int i = first; i < first + n; ++i) {
      auto item = PlanItem("k" + std::to_string(i), "noop", 1 + i / 5, 1 + i % 5);
      item["index"] = i - first;
      s.items.push_back(item);
    }
    return s;
  }
  // Rows of `table` (WHERE `where`), read by a connection of its own.
  int64_t Rows(const std::string& table, const std::string& where = "1") {
    auto db = SqliteDb::Open(path_, /*read_only=*/true, 1000);
    EXPECT_TRUE(db.ok());
    auto stmt = (*db)->Prepare("SELECT count(*) FROM " + table + " WHERE " + where);
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(*stmt->Step());
    return stmt->ColumnInt(0);
  }
  int64_t Runnable() {
    auto r = store_->ListRunnable(INT64_MAX / 2, 1000);
    EXPECT_TRUE(r.ok());
    return r.ok() ? static_cast<int64_t>(r->size()) : -1;
  }

  testing::ScratchDir dir_;
  std::string path_;
  std::unique_ptr<ResultStore> store_;
};

TEST_F(SweepDraftTest, ANewSweepIsInvisibleUntilItsLastStep) {
  const NewSweep sweep = Sweep("big", 100);
  auto draft = store_->BeginSweep(sweep);
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  auto done = store_->StepSweep(draft->get(), 30);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(*done);
  EXPECT_EQ((*draft)->stored(), 30);
  EXPECT_EQ(Rows("trials"), 30);  // stored, but nobody sees them
  EXPECT_EQ(store_->GetSweep("big").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListSweeps()->empty());
  EXPECT_EQ(Runnable(), 0);
  EXPECT_TRUE(store_->ListTrials({})->empty());
  EXPECT_TRUE(store_->ListPendingDemand(INT64_MAX / 2)->empty());
  EXPECT_TRUE(store_->ListAudit(10)->empty());
  // A second submission of the name meanwhile is refused, not merged.
  EXPECT_EQ(store_->BeginSweep(sweep).status().code(), StatusCode::kFailedPrecondition);

  int steps = 1;
  while (!*done) {
    done = store_->StepSweep(draft->get(), 30);
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    ++steps;
  }
  EXPECT_EQ(steps, 4);
  auto info = store_->GetSweep("big");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->counts.pending, 100);
  EXPECT_EQ((*draft)->submission().created, 100);
  EXPECT_FALSE((*draft)->submission().resumed);
  EXPECT_EQ(Runnable(), 100);
  EXPECT_EQ(store_->ListAudit(10)->size(), 1u);
  // Every item reads back as submitted (templates shared across the steps' boundaries).
  auto trials = store_->ListTrials({});
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 100u);
  for (size_t i = 0; i < trials->size(); ++i) EXPECT_EQ((*trials)[i].item, sweep.items[i]) << i;
  EXPECT_EQ(Rows("item_templates"), 20);
}

TEST_F(SweepDraftTest, ADraftLeftByAStoppedProcessIsDiscardedWhole) {
  ASSERT_TRUE(store_->CreateSweep(Sweep("kept", 5, 1000)).ok());
  {
    const NewSweep sweep = Sweep("cut", 100);
    auto draft = store_->BeginSweep(sweep);
    ASSERT_TRUE(draft.ok());
    ASSERT_FALSE(*store_->StepSweep(draft->get(), 60));
  }  // the process "dies": the draft is never finished
  Reopen();
  auto drafts = store_->ListSweepDrafts();
  ASSERT_TRUE(drafts.ok());
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].second, "cut");
  int steps = 0;
  while (true) {
    auto gone = store_->DiscardSweepDraft((*drafts)[0].first, 25);
    ASSERT_TRUE(gone.ok()) << gone.status().ToString();
    ++steps;
    if (*gone) break;
  }
  EXPECT_GE(steps, 3);  // bounded steps: 60 trials and 12 templates, 25 rows at a time
  EXPECT_TRUE(store_->ListSweepDrafts()->empty());
  EXPECT_EQ(Rows("sweeps"), 1);
  EXPECT_EQ(Rows("trials"), 5);
  EXPECT_EQ(Rows("item_templates"), 1);
  // A finished sweep is never discarded, and the name is free again.
  auto kept = store_->GetSweep("kept");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(store_->DiscardSweepDraft(kept->id, 10).status().code(),
            StatusCode::kFailedPrecondition);
  auto again = store_->CreateSweep(Sweep("cut", 100));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->resumed);
  EXPECT_EQ(again->created, 100);
}

TEST_F(SweepDraftTest, AResumeInStepsDoesWhatCreateSweepDoes) {
  ASSERT_TRUE(store_->CreateSweep(Sweep("s", 40)).ok());
  ASSERT_TRUE(store_->CancelSweep("s", "alice").ok());  // 40 cancelled
  // The edited plan keeps k10..k39 and adds k40..k59: 30 re-queued, 20 new, none dropped
  // (cancelled trials are finished); then a plan that leaves k10..k19 out drops them.
  const NewSweep edited = Sweep("s", 50, 10);
  auto draft = store_->BeginSweep(edited);
  ASSERT_TRUE(draft.ok());
  EXPECT_TRUE((*draft)->resumed());
  int steps = 0;
  while (!*store_->StepSweep(draft->get(), 7)) ++steps;
  EXPECT_GT(steps, 5);
  EXPECT_EQ((*draft)->submission().requeued, 30);
  EXPECT_EQ((*draft)->submission().created, 20);
  EXPECT_EQ((*draft)->submission().dropped, 0);

  const NewSweep narrowed = Sweep("s", 40, 20);
  auto again = store_->BeginSweep(narrowed);
  ASSERT_TRUE(again.ok());
  while (!*store_->StepSweep(again->get(), 7)) {
  }
  EXPECT_EQ((*again)->submission().unchanged, 40);
  EXPECT_EQ((*again)->submission().dropped, 10);
  auto info = store_->GetSweep("s");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->counts.pending, 40);
  EXPECT_EQ(info->counts.cancelled, 20);  // k0..k9 (first cancel) and k10..k19 (dropped)
}

TEST_F(SweepDraftTest, ABadItemFailsItsStepAndSpendsTheDraft) {
  NewSweep sweep = Sweep("bad", 20);
  sweep.items[15]["key"] = "k3";
  auto draft = store_->BeginSweep(sweep);
  ASSERT_TRUE(draft.ok());
  ASSERT_FALSE(*store_->StepSweep(draft->get(), 10));
  auto failed = store_->StepSweep(draft->get(), 10);
  EXPECT_EQ(failed.status().message(), "items[15].key: duplicates the key of items[3]");
  EXPECT_EQ(Rows("trials"), 10);  // the failed step wrote nothing
  EXPECT_EQ(store_->StepSweep(draft->get(), 10).status().code(), StatusCode::kFailedPrecondition);
  while (!*store_->DiscardSweepDraft((*draft)->sweep_id(), 100)) {
  }
  EXPECT_EQ(Rows("trials"), 0);
  EXPECT_EQ(Rows("sweeps"), 0);
}

}  // namespace
}  // namespace chromatune
