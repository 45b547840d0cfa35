#include "coordinator/coordinator.h"

#include <gtest/gtest.h>

#include "tests/coordinator/coordinator_fixture.h"

namespace chromatune::coordinator {
namespace {

using testing::CoordinatorTest;
using testing::kAlice;
using testing::kWorker;
using testing::NoopSweep;
using namespace std::chrono_literals;

TEST_F(CoordinatorTest, LeaseCompleteAndRetriedCompleteIsIdempotent) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 3));
  auto grants = LeaseNow(g);
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].attempt, 1);
  EXPECT_EQ(grants[0].item["method"], "noop");
  auto first = coordinator_->Complete(grants[0].trial_id, Claim(grants[0]), Metrics(0.7));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(*first);
  auto again = coordinator_->Complete(grants[0].trial_id, Claim(grants[0]), Metrics(0.9));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);  // duplicate: nothing stored
  EXPECT_DOUBLE_EQ(store_->GetMetrics(grants[0].trial_id)->at("accuracy"), 0.7);
  EXPECT_EQ(Counts("s").done, 1);
  EXPECT_EQ(sink_.writes, 0);  // no arrays, no HDF5 write
}

// The embedded run retires its groups after they exited, so a later coordinator on the same
// store does not count them as active.
TEST_F(CoordinatorTest, RetiredGroupsAreGoneInTheStore) {
  Group(1);
  Group(2);
  ASSERT_EQ(store_->ListWorkerGroups(/*include_gone=*/false)->size(), 2u);
  ASSERT_TRUE(coordinator_->RetireGroups().ok());
  EXPECT_TRUE(store_->ListWorkerGroups(/*include_gone=*/false)->empty());
  EXPECT_EQ(store_->ListWorkerGroups(/*include_gone=*/true)->size(), 2u);  // kept for history
  Reset();
  ASSERT_TRUE(coordinator_->Recover().ok());
  auto status = coordinator_->StatusReport();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE((*status)["groups"].empty()) << status->dump();
}

// `chromatune run` shows what a sweep with nothing finished yet is doing (its first trial
// pretraining the backbone) from the sweep report's running_note.
TEST_F(CoordinatorTest, SweepReportCarriesTheRunningTrialsNote) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 2));
  auto before = coordinator_->SweepReport("s");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ((*before)["running_note"], "");
  auto grants = LeaseNow(g);
  ASSERT_EQ(grants.size(), 1u);
  ASSERT_TRUE(
      coordinator_->Heartbeat(grants[0].trial_id, Claim(grants[0]), 0.2, "pretraining backbone")
          .ok());
  auto during = coordinator_->SweepReport("s");
  ASSERT_TRUE(during.ok());
  EXPECT_EQ((*during)["running_note"], "pretraining backbone");
}

TEST_F(CoordinatorTest, ExpiredLeaseIsFencedOff) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1));
  auto first = LeaseNow(g);
  ASSERT_EQ(first.size(), 1u);
  now_ += 1500;
  coordinator_->Tick();
  auto second = LeaseNow(g);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].trial_id, first[0].trial_id);
  EXPECT_EQ(second[0].attempt, 2);
  auto stale = coordinator_->Complete(first[0].trial_id, Claim(first[0]), Metrics(0.1));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(coordinator_->Complete(second[0].trial_id, Claim(second[0]), Metrics(0.2)).ok());
  EXPECT_DOUBLE_EQ(store_->GetMetrics(first[0].trial_id)->at("accuracy"), 0.2);
}

// A trial leased ahead is renewed with `started` false: when its group dies before its round,
// the expiry is an infrastructure re-queue, not a failure; a released round-mate of a hung
// trial (`infrastructure`) too. Both show in the sweep's status.
TEST_F(CoordinatorTest, UnstartedAndInfrastructureReleasesAreNotCharged) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 2, "", /*retries=*/0));
  auto a = LeaseNow(g, 1, 1);
  auto ahead = LeaseNow(g, 1, 1);
  ASSERT_EQ(ahead.size(), 1u);
  ASSERT_TRUE(coordinator_
                  ->Heartbeat(ahead[0].trial_id, Claim(ahead[0]), -1.0, "", std::nullopt,
                              /*started=*/false)
                  .ok());
  EXPECT_EQ(store_->GetTrial(ahead[0].trial_id)->state, TrialState::kLeased);
  ASSERT_TRUE(coordinator_->Heartbeat(a[0].trial_id, Claim(a[0]), 0.5, "").ok());
  ASSERT_TRUE(coordinator_
                  ->Release(a[0].trial_id, Claim(a[0]), "round-mate hung",
                            /*infrastructure=*/true)
                  .ok());
  now_ += 1500;
  coordinator_->Tick();
  for (int64_t id : {a[0].trial_id, ahead[0].trial_id}) {
    auto t = store_->GetTrial(id);
    EXPECT_EQ(t->state, TrialState::kPending) << id;
    EXPECT_EQ(t->failures, 0) << id;
  }
  auto status = coordinator_->StatusReport();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["sweeps"][0]["infra_requeues"], 2);
  EXPECT_EQ((*coordinator_->SweepReport("s"))["infra_requeues"], 2);
}

TEST_F(CoordinatorTest, FailureIsRetriedAfterBackoffThenFailsForGood) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1, "", /*retries=*/1));
  auto a1 = LeaseNow(g);
  ASSERT_EQ(a1.size(), 1u);
  auto state = coordinator_->Fail(a1[0].trial_id, Claim(a1[0]), "boom", false);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, TrialState::kPending);
  EXPECT_TRUE(LeaseNow(g).empty());  // backing off
  now_ += 600;
  auto a2 = LeaseNow(g);
  ASSERT_EQ(a2.size(), 1u);
  EXPECT_EQ(a2[0].attempt, 2);
  state = coordinator_->Fail(a2[0].trial_id, Claim(a2[0]), "boom again", false);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, TrialState::kFailed);
  EXPECT_EQ(store_->GetTrial(a1[0].trial_id)->error, "boom again");
}

TEST_F(CoordinatorTest, FinalFailureSkipsRetriesAndReleaseDoesNotCount) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 2, "", /*retries=*/3));
  auto a = LeaseNow(g);
  ASSERT_TRUE(coordinator_->Release(a[0].trial_id, Claim(a[0]), "draining").ok());
  auto again = LeaseNow(g);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].trial_id, a[0].trial_id);
  EXPECT_EQ(store_->GetTrial(a[0].trial_id)->failures, 0);
  EXPECT_EQ(*coordinator_->Fail(again[0].trial_id, Claim(again[0]), "bad param", true),
            TrialState::kFailed);
}

TEST_F(CoordinatorTest, LongPollIsAnsweredBySubmitOrTimesOut) {
  const int64_t g = Group();
  int calls = 0;
  std::vector<LeaseGrant> got;
  coordinator_->Lease(
      g, 1, 1, 5000,
      [&](Result<std::vector<LeaseGrant>> r) {
        ++calls;
        got = *r;
      },
      kWorker);
  EXPECT_EQ(calls, 0);
  Submit(NoopSweep("s", 1));
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(got.size(), 1u);

  coordinator_->Lease(
      g, 1, 1, 1000,
      [&](Result<std::vector<LeaseGrant>> r) {
        ++calls;
        got = *r;
      },
      kWorker);
  coordinator_->Tick();
  EXPECT_EQ(calls, 1);
  now_ += 1001;
  coordinator_->Lease(
      g, 1, 1, 0, [](Result<std::vector<LeaseGrant>>) {}, kWorker);  // keeps g alive
  EXPECT_EQ(calls, 2);  // the group's newer request answered the older one
  EXPECT_TRUE(got.empty());
}

TEST_F(CoordinatorTest, UnknownGroupMustRegister) {
  Status seen;
  coordinator_->Lease(424242, 1, 1, 0,
                      [&](Result<std::vector<LeaseGrant>> r) { seen = r.status(); });
  EXPECT_EQ(seen.code(), StatusCode::kNotFound);
  EXPECT_NE(seen.message().find("register"), std::string::npos);
}

TEST_F(CoordinatorTest, SilentGroupIsMarkedGone) {
  const int64_t g = Group();
  now_ += 3500;  // > 3 lease timeouts
  coordinator_->Tick();
  Status seen;
  coordinator_->Lease(
      g, 1, 1, 0, [&](Result<std::vector<LeaseGrant>> r) { seen = r.status(); }, kWorker);
  EXPECT_EQ(seen.code(), StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, HeartbeatRenewsMarksRunningAndReportsCancel) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1));
  auto a = LeaseNow(g);
  now_ += 800;
  auto hb = coordinator_->Heartbeat(a[0].trial_id, Claim(a[0]), 0.5, "half");
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  EXPECT_FALSE(*hb);
  EXPECT_EQ(store_->GetTrial(a[0].trial_id)->state, TrialState::kRunning);
  now_ += 800;  // 1.6 s after the lease, 0.8 s after the heartbeat
  coordinator_->Tick();
  EXPECT_EQ(store_->GetTrial(a[0].trial_id)->state, TrialState::kRunning);
  auto stale =
      coordinator_->Heartbeat(a[0].trial_id, LeaseClaim{7, a[0].lease_id, kWorker}, 0.9, "");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(coordinator_->CancelSweep("s", kAlice).ok());
  auto cancelled = coordinator_->Heartbeat(a[0].trial_id, Claim(a[0]), 0.9, "");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(*cancelled);
}

TEST_F(CoordinatorTest, GangLeasesPackAGroup) {
  const int64_t g = Group(4);
  Submit(NoopSweep("two", 3, "", 2, /*ranks=*/2));
  auto grants = LeaseNow(g, 4, 4);
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].ranks, 2);
  EXPECT_TRUE(LeaseNow(g, 1, 4).empty());  // one free rank fits no 2-rank trial
}

TEST_F(CoordinatorTest, StatusSaysWhyTrialsWait) {
  Group(2);
  Submit(NoopSweep("big", 2, "", 2, /*ranks=*/4));
  auto s = coordinator_->StatusReport();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ((*s)["waiting"].size(), 1u);
  EXPECT_NE((*s)["waiting"][0]["reason"].get<std::string>().find(
                "needs 4 ranks; the largest worker group has 2"),
            std::string::npos);
  ASSERT_EQ((*s)["waiting_trials"].size(), 2u);
  EXPECT_EQ((*s)["sweeps"][0]["user"], "alice");
  EXPECT_EQ((*s)["groups"][0]["ranks"], 2);
}

TEST_F(CoordinatorTest, RecoverGivesHeldLeasesAGracePeriod) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1));
  auto a = LeaseNow(g);
  now_ += 900;  // the coordinator "restarts" just before the lease would expire
  Reset();
  ASSERT_TRUE(coordinator_->Recover().ok());
  now_ += 900;
  coordinator_->Tick();
  EXPECT_EQ(store_->GetTrial(a[0].trial_id)->state, TrialState::kLeased);
  ASSERT_TRUE(coordinator_->Complete(a[0].trial_id, Claim(a[0]), Metrics(0.3)).ok());
  // The group is known again after the restart.
  EXPECT_TRUE(LeaseNow(g).empty());
}

// The devices a group registered are in status, also after a restart (they are in the
// store's worker_groups.devices_json), so `chromatune status` shows GPUs per group.
TEST_F(CoordinatorTest, StatusShowsEachGroupsDevicesAcrossARestart) {
  WorkerGroupInfo info;
  info.ranks = 2;
  info.host = "gpu-node";
  info.user = kWorker;
  info.role = "worker";
  info.devices = {{{"kind", "cuda"}, {"index", 2}, {"name", "NVIDIA H100"}},
                  {{"kind", "cuda"}, {"index", 3}, {"name", "NVIDIA H100"}}};
  ASSERT_TRUE(coordinator_->RegisterGroup(info).ok());
  const int64_t cpu = Group();
  auto before = coordinator_->StatusReport();
  ASSERT_TRUE(before.ok());
  ASSERT_EQ((*before)["groups"].size(), 2u);
  EXPECT_EQ((*before)["groups"][0]["devices"], info.devices);
  EXPECT_EQ((*before)["groups"][1]["devices"], nlohmann::json::array());  // none sent
  Reset();
  ASSERT_TRUE(coordinator_->Recover().ok());
  auto after = coordinator_->StatusReport();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ((*after)["groups"].size(), 2u);
  EXPECT_EQ((*after)["groups"][0]["devices"], info.devices);
  EXPECT_EQ((*after)["groups"][1]["id"], cpu);
}

TEST_F(CoordinatorTest, ArraysGoToTheSinkAndBadArraysFailTheAttempt) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 2, "", /*retries=*/1));
  TrialResult r = Metrics(0.5);
  r.arrays.push_back({"predictions", {2}, {1.f, 0.f}});
  auto a = LeaseNow(g);
  ASSERT_TRUE(coordinator_->Complete(a[0].trial_id, Claim(a[0]), r).ok());
  EXPECT_EQ(sink_.writes, 1);
  EXPECT_EQ(sink_.last_sweep, "s");
  EXPECT_EQ(sink_.last_arrays, 1u);
  sink_.fail = InvalidArgument("array \"predictions\": shape does not match (test)");
  auto b = LeaseNow(g);
  auto failed = coordinator_->Complete(b[0].trial_id, Claim(b[0]), r);
  ASSERT_FALSE(failed.ok());
  auto t = store_->GetTrial(b[0].trial_id);
  EXPECT_EQ(t->state, TrialState::kPending);
  EXPECT_EQ(t->failures, 1);
  EXPECT_NE(t->error.find("storing arrays"), std::string::npos);
}

// INTERFACES.md, "Failure accounting": a full disk or a locked HDF5 file is not the trial's
// fault. The worker is told to send the result again (503), the lease lasts meanwhile, and
// the result is stored once the store takes it.
TEST_F(CoordinatorTest, AStoreFaultKeepsTheTrialLeasedUnchargedUntilTheResultIsStored) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1, "", /*retries=*/0));
  TrialResult r = Metrics(0.5);
  r.arrays.push_back({"predictions", {2}, {1.f, 0.f}});
  auto a = LeaseNow(g);
  for (const Status& fault :
       {ResourceExhausted("runs.h5: No space left on device (the disk is full)"),
        Unavailable("runs.h5: unable to lock file (held by a reader)")}) {
    sink_.fail = fault;
    auto refused = coordinator_->Complete(a[0].trial_id, Claim(a[0]), r);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
    EXPECT_NE(refused.status().message().find("the coordinator cannot store results now: " +
                                              fault.message()),
              std::string::npos)
        << refused.status().message();
    now_ += 900;  // within the lease timeout (1 s) of the refusal, which renewed the lease
    coordinator_->Tick();
    auto t = store_->GetTrial(a[0].trial_id);
    EXPECT_EQ(t->state, TrialState::kLeased) << fault.ToString();
    EXPECT_EQ(t->failures, 0);
  }
  sink_.fail = Status::Ok();
  ASSERT_TRUE(coordinator_->Complete(a[0].trial_id, Claim(a[0]), r).ok());
  EXPECT_EQ(store_->GetTrial(a[0].trial_id)->state, TrialState::kDone);
}

TEST_F(CoordinatorTest, BadSweepIsRejectedWithEveryProblem) {
  auto s = coordinator_->SubmitSweep("name: x\ntask: nope\n", "bad.yaml", kAlice);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("bad.yaml"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::coordinator
