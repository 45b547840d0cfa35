// The coordinator's rules for a shared lab (issue 18): sweep ownership and the audit trail,
// fencing with the lease id and the leasing user, the priority bound, failure accounting of
// expired leases, rank caps and the quarantine of groups whose leases keep expiring.
#include <gtest/gtest.h>

#include "coordinator/coordinator.h"
#include "tests/coordinator/coordinator_fixture.h"

namespace chromatune::coordinator {
namespace {

using testing::CoordinatorTest;
using testing::kAdmin;
using testing::kAlice;
using testing::kWorker;
using testing::NoopSweep;

const Identity kBob{"bob", Role::kUser};

TEST_F(CoordinatorTest, ASweepNameOwnedByAnotherUserIsRefusedNamingTheOwner) {
  Submit(NoopSweep("mine", 2));
  auto takeover = coordinator_->SubmitSweep(NoopSweep("mine", 3, "", 5, 1, 7), "b.yaml", kBob);
  ASSERT_FALSE(takeover.ok());
  EXPECT_EQ(takeover.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(takeover.status().message().find("owned by alice"), std::string::npos)
      << takeover.status().ToString();
  // Nothing of the takeover was stored: owner, priority, retries and trials are alice's.
  auto info = store_->GetSweep("mine");
  EXPECT_EQ(info->user, "alice");
  EXPECT_EQ(info->priority, 0);
  EXPECT_EQ(info->retries, 2);
  EXPECT_EQ(info->counts.total(), 2);
  // The owner resumes it; an admin may too, and the owner stays alice.
  ASSERT_TRUE(coordinator_->SubmitSweep(NoopSweep("mine", 3), "a.yaml", kAlice).ok());
  ASSERT_TRUE(coordinator_->SubmitSweep(NoopSweep("mine", 3), "r.yaml", kAdmin).ok());
  EXPECT_EQ(store_->GetSweep("mine")->user, "alice");
}

TEST_F(CoordinatorTest, UsersCancelAndReprioritiseOnlyTheirOwnSweeps) {
  Submit(NoopSweep("mine", 2));
  auto cancel = coordinator_->CancelSweep("mine", kBob);
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(cancel.status().message().find("user bob may not cancel sweep \"mine\" owned by alice"),
            std::string::npos)
      << cancel.status().ToString();
  EXPECT_EQ(Counts("mine").pending, 2);
  EXPECT_EQ(coordinator_->SetPriority("mine", 5, kBob).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->GetSweep("mine")->priority, 0);
  ASSERT_TRUE(coordinator_->SetPriority("mine", 5, kAlice).ok());
  EXPECT_EQ(store_->GetSweep("mine")->priority, 5);
  ASSERT_TRUE(coordinator_->CancelSweep("mine", kAdmin).ok());
  EXPECT_EQ(Counts("mine").cancelled, 2);
}

TEST_F(CoordinatorTest, EverySubmitCancelAndPriorityChangeIsAudited) {
  Submit(NoopSweep("a", 1));
  now_ += 10;
  ASSERT_TRUE(coordinator_->SubmitSweep(NoopSweep("a", 1, "", 2, 1, 9), "a.yaml", kAlice).ok());
  ASSERT_TRUE(coordinator_->SetPriority("a", -3, kAlice).ok());
  ASSERT_TRUE(coordinator_->CancelSweep("a", kAdmin).ok());
  (void)coordinator_->CancelSweep("a", kBob);  // refused: not audited
  auto audit = coordinator_->AuditReport(10);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  ASSERT_EQ(audit->size(), 5u) << audit->dump();
  // Newest first.
  EXPECT_EQ((*audit)[0]["action"], "cancel");
  EXPECT_EQ((*audit)[0]["user"], "root");
  EXPECT_EQ((*audit)[1]["action"], "priority");
  EXPECT_EQ((*audit)[1]["detail"], "priority 9 -> -3");
  EXPECT_EQ((*audit)[2]["action"], "priority");
  EXPECT_EQ((*audit)[2]["detail"], "priority 0 -> 9");
  EXPECT_EQ((*audit)[3]["action"], "resume");
  EXPECT_EQ((*audit)[4]["action"], "submit");
  EXPECT_EQ((*audit)[4]["user"], "alice");
  EXPECT_EQ((*audit)[4]["time_ms"], 1'000'000);
  auto status = coordinator_->StatusReport();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["audit"].size(), 5u);
}

TEST_F(CoordinatorTest, PrioritiesOfNonAdminsAreBounded) {
  Reset([](CoordinatorOptions& o) { o.max_user_priority = 10; });
  auto high = coordinator_->SubmitSweep(NoopSweep("p", 1, "", 2, 1, 11), "p.yaml", kAlice);
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(high.status().message().find("--max-user-priority"), std::string::npos);
  EXPECT_NE(high.status().message().find("[-10, 10]"), std::string::npos);
  EXPECT_FALSE(store_->GetSweep("p").ok());  // nothing stored
  ASSERT_TRUE(coordinator_->SubmitSweep(NoopSweep("p", 1, "", 2, 1, -10), "p.yaml", kAlice).ok());
  EXPECT_EQ(coordinator_->SetPriority("p", -11, kAlice).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(coordinator_->SetPriority("p", 1'000'000, kAdmin).ok());
  EXPECT_EQ(store_->GetSweep("p")->priority, 1'000'000);
}

TEST_F(CoordinatorTest, ReportsNeedTheLeaseIdAndTheLeasingUser) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1));
  auto grant = LeaseNow(g);
  ASSERT_EQ(grant.size(), 1u);
  const int64_t trial = grant[0].trial_id;
  // 128 random bits after "L<trial>.<attempt>.": 32 hex digits.
  EXPECT_EQ(grant[0].lease_id.size() - grant[0].lease_id.rfind('.') - 1, 32u) << grant[0].lease_id;
  LeaseClaim forged = Claim(grant[0]);
  forged.lease_id.back() = forged.lease_id.back() == '0' ? '1' : '0';
  LeaseClaim stranger = Claim(grant[0]);
  stranger.user = "mallory";
  for (const LeaseClaim& bad : {forged, stranger}) {
    const StatusCode want =
        bad.user == kWorker ? StatusCode::kFailedPrecondition : StatusCode::kPermissionDenied;
    EXPECT_EQ(coordinator_->Heartbeat(trial, bad, 0.5, "x").status().code(), want);
    EXPECT_EQ(coordinator_->Complete(trial, bad, Metrics(0.99)).status().code(), want);
    EXPECT_EQ(coordinator_->Fail(trial, bad, "x", true).status().code(), want);
    EXPECT_EQ(coordinator_->Release(trial, bad, "x").code(), want);
  }
  // Nothing of it was stored: the trial is still leased, unstarted, without metrics.
  auto t = store_->GetTrial(trial);
  EXPECT_EQ(t->state, TrialState::kLeased);
  EXPECT_EQ(t->progress_note, "");
  EXPECT_TRUE(store_->GetMetrics(trial)->empty());
  ASSERT_TRUE(coordinator_->Complete(trial, Claim(grant[0]), Metrics(0.5)).ok());
  // A retried completion must present the same claim to be answered as a duplicate.
  EXPECT_TRUE(*coordinator_->Complete(trial, Claim(grant[0]), Metrics(0.5)));
  EXPECT_EQ(coordinator_->Complete(trial, forged, Metrics(0.5)).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator_->Complete(trial, stranger, Metrics(0.5)).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_DOUBLE_EQ(store_->GetMetrics(trial)->at("accuracy"), 0.5);
}

TEST_F(CoordinatorTest, OnlyTheRegisteringUserLeasesForAGroup) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1));
  Status seen;
  coordinator_->Lease(
      g, 1, 1, 0, [&](Result<std::vector<LeaseGrant>> r) { seen = r.status(); }, "mallory");
  EXPECT_EQ(seen.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Counts("s").pending, 1);
}

TEST_F(CoordinatorTest, ExpiredWorkCountsAsAFailureWithBackoffUnstartedWorkDoesNot) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 1, "", /*retries=*/3));
  // Leased, never started (a lost grant): back at once, not counted.
  auto a1 = LeaseNow(g);
  now_ += 1500;
  coordinator_->Tick();
  auto t = store_->GetTrial(a1[0].trial_id);
  EXPECT_EQ(t->state, TrialState::kPending);
  EXPECT_EQ(t->failures, 0);
  auto a2 = LeaseNow(g);
  ASSERT_EQ(a2.size(), 1u);
  // Started (heartbeat), then its worker vanished: a failed attempt, retried after backoff.
  ASSERT_TRUE(coordinator_->Heartbeat(a2[0].trial_id, Claim(a2[0]), 0.1, "").ok());
  now_ += 1500;
  coordinator_->Tick();
  t = store_->GetTrial(a2[0].trial_id);
  EXPECT_EQ(t->state, TrialState::kPending);
  EXPECT_EQ(t->failures, 1);
  EXPECT_EQ(t->not_before_ms, now_.load() + 500);  // retry_backoff_base
  EXPECT_TRUE(LeaseNow(g).empty());                // backing off
  now_ += 500;
  EXPECT_EQ(LeaseNow(g).size(), 1u);
}

TEST_F(CoordinatorTest, GroupsHoldAtMostTwoRoundsOfTheirRanks) {
  WorkerGroupInfo huge;
  huge.host = "h";
  huge.ranks = 1 << 20;
  auto big = coordinator_->RegisterGroup(huge);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("1024"), std::string::npos);
  const int64_t g = Group(2);
  Submit(NoopSweep("s", 20));
  EXPECT_EQ(LeaseNow(g, 1 << 20, 1024).size(), 2u);  // asks for more than it has: 2
  EXPECT_EQ(LeaseNow(g, 2, 1024).size(), 2u);        // the round leased ahead
  EXPECT_TRUE(LeaseNow(g, 2, 1024).empty());         // never more than two rounds held
  EXPECT_EQ(Counts("s").leased, 4);
}

TEST_F(CoordinatorTest, AGroupWhoseLeasesKeepExpiringIsQuarantined) {
  const int64_t bad = Group();
  const int64_t good = Group();
  Submit(NoopSweep("s", 6, "", /*retries=*/5));
  std::vector<LeaseGrant> held;
  for (int i = 0; i < 3; ++i) {
    auto grants = LeaseNow(bad);
    ASSERT_EQ(grants.size(), 1u) << i;
    held.push_back(grants[0]);
    // The good group keeps working (and keeps itself from being marked gone).
    auto work = LeaseNow(good);
    ASSERT_EQ(work.size(), 1u);
    ASSERT_TRUE(coordinator_->Complete(work[0].trial_id, Claim(work[0]), Metrics(1)).ok());
    now_ += 1500;
    coordinator_->Tick();
  }
  Status seen;
  coordinator_->Lease(
      bad, 1, 1, 0, [&](Result<std::vector<LeaseGrant>> r) { seen = r.status(); }, kWorker);
  EXPECT_EQ(seen.code(), StatusCode::kCancelled);
  EXPECT_NE(seen.message().find("quarantined"), std::string::npos) << seen.ToString();
  EXPECT_NE(seen.message().find("3 of its leases in a row expired"), std::string::npos);
  // Its late reports are told to stop as well; nothing is stored.
  auto late = coordinator_->Complete(held[2].trial_id, Claim(held[2]), Metrics(0));
  EXPECT_EQ(late.status().code(), StatusCode::kCancelled);
  auto status = coordinator_->StatusReport();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ((*status)["quarantined_groups"].size(), 1u);
  EXPECT_EQ((*status)["quarantined_groups"][0]["id"], bad);
  EXPECT_EQ((*status)["groups"].size(), 1u);
  // The good group finishes the sweep; the unstarted expiries cost no retries.
  for (int i = 0; i < 3; ++i) {
    auto work = LeaseNow(good);
    ASSERT_EQ(work.size(), 1u);
    ASSERT_TRUE(coordinator_->Complete(work[0].trial_id, Claim(work[0]), Metrics(1)).ok());
  }
  EXPECT_EQ(Counts("s").done, 6);
}

TEST_F(CoordinatorTest, AReportBetweenExpiriesEndsTheRun) {
  const int64_t g = Group();
  Submit(NoopSweep("s", 6, "", /*retries=*/5));
  for (int i = 0; i < 4; ++i) {
    auto grants = LeaseNow(g);
    ASSERT_EQ(grants.size(), 1u) << i;
    if (i == 2) {
      ASSERT_TRUE(coordinator_->Complete(grants[0].trial_id, Claim(grants[0]), Metrics(1)).ok());
      continue;
    }
    now_ += 1500;
    coordinator_->Tick();
  }
  EXPECT_EQ(LeaseNow(g).size(), 1u);  // 2, then 1 in a row: not quarantined
}

}  // namespace
}  // namespace chromatune::coordinator
