// Submissions planned and stored off the request path (coordinator/sweep_planner.h): answered
// at once with their progress, never stalling leases and completions, cancellable, all or
// nothing across a restart, idempotent when repeated.
#include <algorithm>
#include <set>
#include <thread>

#include "tests/coordinator/coordinator_fixture.h"

namespace chromatune::coordinator::testing {
namespace {

class SweepPlannerTest : public CoordinatorTest {
 protected:
  // Polls `done` for up to `limit` of real time.
  static bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return done();
  }
  std::string State(const std::string& sweep) {
    auto r = coordinator_->SubmissionReport(sweep);
    return r.ok() ? r->value("state", std::string()) : r.status().ToString();
  }
  // Submits without waiting; the answers land in `answers`.
  void SubmitAsync(const std::string& yaml, std::vector<Result<nlohmann::json>>* answers) {
    coordinator_->SubmitSweep(yaml, "big.yaml", kAlice, [this, answers](Result<nlohmann::json> r) {
      std::lock_guard<std::mutex> lock(mu_);
      answers->push_back(std::move(r));
    });
  }
  size_t Answered(const std::vector<Result<nlohmann::json>>& answers) {
    std::lock_guard<std::mutex> lock(mu_);
    return answers.size();
  }
  std::mutex mu_;
};

TEST_F(SweepPlannerTest, ASubmissionIsAnsweredWithItsProgressThenBecomesReady) {
  Reset([](CoordinatorOptions& o) {
    o.submit_answer_within = 0ms;
    o.plan_rows_per_step = 20;
  });
  std::vector<Result<nlohmann::json>> answers;
  SubmitAsync(NoopSweep("big", 5000), &answers);
  coordinator_->Tick();  // the answer is due at once: the sweep is still being planned
  ASSERT_EQ(Answered(answers), 1u);
  ASSERT_TRUE(answers[0].ok()) << answers[0].status().ToString();
  EXPECT_EQ(answers[0]->value("state", ""), "planning");
  EXPECT_EQ(answers[0]->value("sweep", ""), "big");
  // Listed by status while it is planned; no sweep nor trial of it is visible yet.
  ASSERT_TRUE(WaitFor([&] {
    auto r = coordinator_->SubmissionReport("big");
    return r.ok() && r->value("stored", int64_t{0}) > 0;
  }));
  auto status = coordinator_->StatusReport();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ((*status)["planning"].size(), 1u);
  EXPECT_EQ((*status)["planning"][0]["state"], "planning");
  EXPECT_EQ((*status)["planning"][0]["phase"], "storing");
  EXPECT_EQ((*status)["planning"][0]["total"], 5000);
  EXPECT_TRUE((*status)["sweeps"].empty());
  EXPECT_EQ(store_->GetSweep("big").status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(WaitFor([&] { return State("big") == "ready"; })) << State("big");
  auto report = coordinator_->SubmissionReport("big");
  EXPECT_EQ(report->value("created", int64_t{0}), 5000);
  EXPECT_EQ(Counts("big").pending, 5000);
  EXPECT_EQ(Answered(answers), 1u);  // answered once
  status = coordinator_->StatusReport();
  EXPECT_TRUE((*status)["planning"].empty());
}

TEST_F(SweepPlannerTest, LeasesAndCompletionsAreAnsweredWhileALargeSweepIsStored) {
  Submit(NoopSweep("running", 20000));
  const int64_t group = Group();
  std::vector<Result<nlohmann::json>> answers;
  // Other keys than "running"'s (no reuse): 100,000 new trials.
  SubmitAsync(NoopSweep("large", 100000, "value: 0.7"), &answers);
  // The planner stores the sweep in steps, each its own transaction, so exchanges are
  // answered between steps. Which part-stored states the exchanges saw shows that, without a
  // timed bound: one transaction for the whole sweep would let no exchange in while some
  // but not all rows were stored.
  int exchanges = 0;
  std::set<int64_t> part_stored;  // "stored" counts seen between exchanges, 0 < n < total
  while (State("large") == "planning") {
    auto grants = LeaseNow(group);
    ASSERT_EQ(grants.size(), 1u);
    ASSERT_TRUE(coordinator_->Complete(grants[0].trial_id, Claim(grants[0]), Metrics(0.5)).ok());
    ++exchanges;
    auto report = coordinator_->SubmissionReport("large");
    if (report.ok()) {
      const int64_t stored = report->value("stored", int64_t{0});
      if (stored > 0 && stored < 100000) part_stored.insert(stored);
    }
    std::this_thread::sleep_for(2ms);  // a worker's exchanges are spaced by its trials
  }
  ASSERT_EQ(State("large"), "ready");
  EXPECT_EQ(Counts("large").pending, 100000);
  EXPECT_GE(part_stored.size(), 3u) << exchanges << " exchanges; the sweep was not stored in "
                                    << "steps that let them in";
}

TEST_F(SweepPlannerTest, ACancelledSubmissionLeavesNoSweep) {
  Reset([](CoordinatorOptions& o) { o.plan_rows_per_step = 100; });
  std::vector<Result<nlohmann::json>> answers;
  SubmitAsync(NoopSweep("doomed", 20000), &answers);
  ASSERT_TRUE(WaitFor([&] {
    auto r = coordinator_->SubmissionReport("doomed");
    return r.ok() && r->value("stored", int64_t{0}) > 0;
  }));
  // Only its submitter (or an admin) may cancel it.
  EXPECT_EQ(coordinator_->CancelSweep("doomed", Identity{"bob", Role::kUser}).status().code(),
            StatusCode::kPermissionDenied);
  auto cancelled = coordinator_->CancelSweep("doomed", kAlice);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(*cancelled, 0);  // no trial of it ever existed
  auto report = coordinator_->SubmissionReport("doomed");
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->value("state", "") == "cancelled" ||
              report->value("phase", "") == "cancelling")
      << report->dump();
  ASSERT_TRUE(WaitFor([&] { return State("doomed") == "cancelled"; })) << State("doomed");
  ASSERT_TRUE(WaitFor([&] { return Answered(answers) == 1; }));
  EXPECT_FALSE(answers[0].ok());
  // Its rows are deleted in the background, a step at a time.
  ASSERT_TRUE(WaitFor([&] { return store_->ListSweepDrafts()->empty(); }));
  EXPECT_EQ(store_->GetSweep("doomed").status().code(), StatusCode::kNotFound);
  TrialFilter all;
  all.limit = 0;
  EXPECT_TRUE(store_->ListTrials(all)->empty());
  // The name is free again.
  Submit(NoopSweep("doomed", 10));
  EXPECT_EQ(Counts("doomed").pending, 10);
}

TEST_F(SweepPlannerTest, ARepeatedSubmissionJoinsTheOneInProgressOrResumes) {
  Reset([](CoordinatorOptions& o) { o.plan_rows_per_step = 100; });
  const std::string yaml = NoopSweep("twice", 3000);
  std::vector<Result<nlohmann::json>> first, second;
  SubmitAsync(yaml, &first);
  SubmitAsync(yaml, &second);  // the same file by the same user: the same submission
  // Another file of the same name meanwhile is refused, naming who submitted the first.
  auto other = coordinator_->SubmitSweep(NoopSweep("twice", 5), "other.yaml", kAlice);
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(WaitFor([&] { return Answered(first) == 1 && Answered(second) == 1; }));
  ASSERT_TRUE(first[0].ok() && second[0].ok());
  EXPECT_EQ(first[0]->value("created", int64_t{0}), 3000);
  EXPECT_EQ(second[0]->value("created", int64_t{0}), 3000);
  EXPECT_EQ(Counts("twice").total(), 3000);
  // Submitted again once stored: a resume that changes nothing.
  auto again = coordinator_->SubmitSweep(yaml, "again.yaml", kAlice);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->value("resumed", false));
  EXPECT_EQ(again->value("unchanged", int64_t{0}), 3000);
  EXPECT_EQ(again->value("created", int64_t{-1}), 0);
  EXPECT_EQ(Counts("twice").total(), 3000);
}

TEST_F(SweepPlannerTest, RecoverDiscardsASweepTheLastCoordinatorWasStoring) {
  NewSweep cut;
  cut.name = "cut";
  cut.spec_yaml = NoopSweep("cut", 1);
  cut.user = "alice";
  for (int i = 0; i < 50; ++i) {
    cut.items.push_back({{"key", "k" + std::to_string(i)},
                         {"task", "classification"},
                         {"dataset", "fashion-mnist"},
                         {"method", "noop"},
                         {"shots", 1}});
  }
  auto draft = store_->BeginSweep(cut);
  ASSERT_TRUE(draft.ok());
  auto step = store_->StepSweep(draft->get(), 20);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  ASSERT_FALSE(*step);
  Reset();  // a new coordinator on the store
  ASSERT_TRUE(coordinator_->Recover().ok());
  EXPECT_TRUE(store_->ListSweepDrafts()->empty());
  EXPECT_EQ(coordinator_->SubmissionReport("cut").status().code(), StatusCode::kNotFound);
  TrialFilter all;
  all.limit = 0;
  EXPECT_TRUE(store_->ListTrials(all)->empty());
}

}  // namespace
}  // namespace chromatune::coordinator::testing
