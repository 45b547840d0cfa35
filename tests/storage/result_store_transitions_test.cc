// The trial state machine, exhaustively: every transition from every state, with the current
// and with a stale attempt. A refused transition must change nothing.
#include <gtest/gtest.h>

#include "storage/result_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using testing::PlanItem;

enum class Op { kLease, kMarkRunning, kRenew, kComplete, kFail, kRelease };

const char* OpName(Op op) {
  switch (op) {
    case Op::kLease:
      return "Lease";
    case Op::kMarkRunning:
      return "MarkRunning";
    case Op::kRenew:
      return "RenewLease";
    case Op::kComplete:
      return "Complete";
    case Op::kFail:
      return "FailAttempt";
    case Op::kRelease:
      return "ReleaseLease";
  }
  return "?";
}

class TransitionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.now_ms = [this] { return now_; };
    auto store = ResultStore::Open(dir_.File("t.db"), StoreMode::kReadWrite, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto group = store_->RegisterWorkerGroup(testing::Group("h", 1, {"cpu"}));
    ASSERT_TRUE(group.ok());
    group_ = *group;
  }

  // A trial of its own sweep (retries 2) brought into `state`.
  int64_t TrialIn(TrialState state) {
    const std::string name = "s" + std::to_string(++sweeps_);
    NewSweep s;
    s.name = name;
    s.user = "u";
    s.retries = 2;
    s.items = nlohmann::json::array({PlanItem("key-" + name, "noop", 1, 1)});
    auto sub = store_->CreateSweep(s);
    EXPECT_TRUE(sub.ok());
    TrialFilter f;
    f.sweep_id = sub->sweep_id;
    const int64_t id = store_->ListTrials(f)->front().id;
    if (state == TrialState::kPending) return id;
    if (state == TrialState::kCancelled) {
      EXPECT_TRUE(store_->CancelSweep(name).ok());
      return id;
    }
    auto lease = store_->Lease(id, group_, now_ + 1000);
    EXPECT_TRUE(lease.ok());
    if (state == TrialState::kRunning) {
      EXPECT_TRUE(store_->MarkRunning(id, 1).ok());
    }
    if (state == TrialState::kDone) {
      TrialResult r;
      r.metrics["accuracy"] = 0.5;
      EXPECT_TRUE(store_->Complete(id, 1, r).ok());
    }
    if (state == TrialState::kFailed) {
      EXPECT_EQ(*store_->FailAttempt(id, 1, "fatal", std::nullopt), TrialState::kFailed);
    }
    return id;
  }

  Status Do(Op op, int64_t trial, int attempt) {
    switch (op) {
      case Op::kLease:
        return store_->Lease(trial, group_, now_ + 1000).status();
      case Op::kMarkRunning:
        return store_->MarkRunning(trial, attempt);
      case Op::kRenew:
        return store_->RenewLease(trial, attempt, now_ + 2000, 0.5, "half");
      case Op::kComplete: {
        TrialResult r;
        r.metrics["accuracy"] = 0.99;
        return store_->Complete(trial, attempt, r);
      }
      case Op::kFail:
        return store_->FailAttempt(trial, attempt, "error", now_).status();
      case Op::kRelease:
        return store_->ReleaseLease(trial, attempt, "drain");
    }
    return Internal("unreachable");
  }

  // Everything a refused transition must leave as it was.
  std::string Snapshot(int64_t trial) {
    auto t = store_->GetTrial(trial);
    auto attempts = store_->ListAttempts(trial);
    auto metrics = store_->GetMetrics(trial);
    nlohmann::json j = {{"state", TrialStateName(t->state)}, {"attempt", t->attempt},
                        {"failures", t->failures},           {"lease", t->lease_id},
                        {"expires", t->lease_expires_ms},    {"progress", t->progress},
                        {"attempts", attempts->size()},      {"metrics", *metrics}};
    for (const auto& a : *attempts) j["outcomes"].push_back(a.outcome);
    return j.dump();
  }

  testing::ScratchDir dir_;
  int64_t now_ = 10'000;
  std::unique_ptr<ResultStore> store_;
  int64_t group_ = 0;
  int sweeps_ = 0;
};

TEST_F(TransitionsTest, EveryTransitionFromEveryStateWithCurrentAndStaleAttempts) {
  const std::vector<TrialState> states = {TrialState::kPending, TrialState::kLeased,
                                          TrialState::kRunning, TrialState::kDone,
                                          TrialState::kFailed,  TrialState::kCancelled};
  const std::vector<Op> ops = {Op::kLease,    Op::kMarkRunning, Op::kRenew,
                               Op::kComplete, Op::kFail,        Op::kRelease};
  // Legal (state, op) pairs with the current attempt, and the state they lead to
  // (FailAttempt with a retry time and retries left re-queues).
  const std::map<std::pair<TrialState, Op>, TrialState> legal = {
      {{TrialState::kPending, Op::kLease}, TrialState::kLeased},
      {{TrialState::kLeased, Op::kMarkRunning}, TrialState::kRunning},
      {{TrialState::kLeased, Op::kRenew}, TrialState::kLeased},
      {{TrialState::kRunning, Op::kRenew}, TrialState::kRunning},
      {{TrialState::kLeased, Op::kComplete}, TrialState::kDone},
      {{TrialState::kRunning, Op::kComplete}, TrialState::kDone},
      {{TrialState::kLeased, Op::kFail}, TrialState::kPending},
      {{TrialState::kRunning, Op::kFail}, TrialState::kPending},
      {{TrialState::kLeased, Op::kRelease}, TrialState::kPending},
      {{TrialState::kRunning, Op::kRelease}, TrialState::kPending},
  };
  int checked = 0;
  for (TrialState from : states) {
    for (Op op : ops) {
      for (bool stale : {false, true}) {
        if (op == Op::kLease && stale) continue;  // Lease names no attempt
        SCOPED_TRACE(std::string(TrialStateName(from)) + " " + OpName(op) +
                     (stale ? " (stale attempt)" : ""));
        const int64_t trial = TrialIn(from);
        const int current = store_->GetTrial(trial)->attempt;
        const int attempt = stale ? current + 1 : current;
        const std::string before = Snapshot(trial);
        Status s = Do(op, trial, attempt);
        auto it = legal.find({from, op});
        if (it != legal.end() && !stale) {
          EXPECT_TRUE(s.ok()) << s.ToString();
          EXPECT_EQ(store_->GetTrial(trial)->state, it->second);
        } else {
          EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
          EXPECT_EQ(Snapshot(trial), before);
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 11);
}

TEST_F(TransitionsTest, UnknownTrialIsNotFound) {
  EXPECT_EQ(store_->MarkRunning(424242, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Lease(424242, group_, 1).status().code(), StatusCode::kNotFound);
}

TEST_F(TransitionsTest, LeaseNeedsAnActiveGroupAndRecordsTheAttempt) {
  const int64_t trial = TrialIn(TrialState::kPending);
  EXPECT_EQ(store_->Lease(trial, 999, now_ + 1).status().code(), StatusCode::kFailedPrecondition);
  auto lease = store_->Lease(trial, group_, now_ + 1000);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->attempt, 1);
  EXPECT_EQ(lease->state, TrialState::kLeased);
  EXPECT_EQ(lease->lease_id.rfind("L" + std::to_string(trial) + ".1.", 0), 0u) << lease->lease_id;
  now_ += 5;
  ASSERT_TRUE(store_->MarkRunning(trial, 1).ok());
  ASSERT_TRUE(store_->RenewLease(trial, 1, now_ + 9000, 0.25, "epoch 1").ok());
  auto t = store_->GetTrial(trial);
  EXPECT_EQ(t->lease_id, lease->lease_id);
  EXPECT_EQ(t->worker_group, group_);
  EXPECT_EQ(t->lease_expires_ms, now_ + 9000);
  EXPECT_EQ(t->progress, 0.25);
  EXPECT_EQ(t->progress_note, "epoch 1");
  auto attempts = store_->ListAttempts(trial);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].lease_id, lease->lease_id);
  EXPECT_EQ((*attempts)[0].leased_ms, 10'000);
  EXPECT_EQ((*attempts)[0].started_ms, 10'005);
  EXPECT_EQ((*attempts)[0].ended_ms, 0);
  EXPECT_TRUE(store_->CheckCurrentAttempt(trial, 1).ok());
  EXPECT_EQ(store_->CheckCurrentAttempt(trial, 2).code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransitionsTest, ExpiredLeaseIsFencedAndTheResultStoredExactlyOnce) {
  const int64_t trial = TrialIn(TrialState::kRunning);
  auto expired = store_->ExpireLeases(now_ + 999);  // not yet: expires at now_ + 1000
  ASSERT_TRUE(expired.ok());
  EXPECT_TRUE(expired->empty());
  expired = store_->ExpireLeases(now_ + 1001);
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].trial_id, trial);
  EXPECT_EQ((*expired)[0].state, TrialState::kPending);
  EXPECT_TRUE((*expired)[0].started);
  EXPECT_EQ(store_->GetTrial(trial)->failures, 1);
  auto again = store_->Lease(trial, group_, now_ + 5000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->attempt, 2);
  TrialResult late;
  late.metrics["accuracy"] = 0.1;
  EXPECT_EQ(store_->Complete(trial, 1, late).code(), StatusCode::kFailedPrecondition);
  TrialResult good;
  good.metrics["accuracy"] = 0.8;
  ASSERT_TRUE(store_->Complete(trial, 2, good).ok());
  EXPECT_EQ(store_->Complete(trial, 2, late).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetMetrics(trial)->at("accuracy"), 0.8);
  auto attempts = store_->ListAttempts(trial);
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].outcome, "expired");
  EXPECT_EQ((*attempts)[0].error, "lease expired");
  EXPECT_EQ((*attempts)[1].outcome, "done");
}

TEST_F(TransitionsTest, RetriesAreCountedAndExhausted) {
  const int64_t trial = TrialIn(TrialState::kPending);  // retries = 2
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(store_->Lease(trial, group_, now_ + 10).ok());
    if (attempt == 2) {
      // A release (drain) is not a failure.
      ASSERT_TRUE(store_->ReleaseLease(trial, attempt, "drain").ok());
      continue;
    }
    if (attempt == 3) {
      // Started work whose lease expires counts (a poison trial may kill its worker).
      ASSERT_TRUE(store_->MarkRunning(trial, attempt).ok());
      auto expired = store_->ExpireLeases(now_ + 11);
      ASSERT_EQ(expired->size(), 1u);
      EXPECT_EQ((*expired)[0].state, TrialState::kPending);
      continue;
    }
    EXPECT_EQ(*store_->FailAttempt(trial, attempt, "boom", now_), TrialState::kPending);
  }
  EXPECT_EQ(store_->GetTrial(trial)->failures, 2);
  ASSERT_TRUE(store_->Lease(trial, group_, now_ + 10).ok());
  EXPECT_EQ(*store_->FailAttempt(trial, 4, "boom again", now_), TrialState::kFailed);
  auto t = store_->GetTrial(trial);
  EXPECT_EQ(t->failures, 3);
  EXPECT_EQ(t->error, "boom again");
  auto events = store_->ListEvents(0, 100);
  EXPECT_EQ(events->back().kind, "trial.failed");
  EXPECT_EQ(events->back().trial_id, trial);
}

// INTERFACES.md, "Failure accounting": an expired lease of started work is a failed attempt
// retried after the backoff; one that never started (a lost grant) is not counted.
TEST_F(TransitionsTest, ExpiryCountsStartedWorkOnlyAndBacksOff) {
  const int64_t unstarted = TrialIn(TrialState::kLeased);
  const int64_t started = TrialIn(TrialState::kRunning);
  auto expired = store_->ExpireLeases(now_ + 1001, [](int failures) { return 700 * failures; });
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  ASSERT_EQ(expired->size(), 2u);
  auto u = store_->GetTrial(unstarted);
  EXPECT_EQ(u->state, TrialState::kPending);
  EXPECT_EQ(u->failures, 0);
  EXPECT_EQ(u->not_before_ms, now_ + 1001);
  EXPECT_NE(u->error.find("before the work started"), std::string::npos) << u->error;
  auto s = store_->GetTrial(started);
  EXPECT_EQ(s->state, TrialState::kPending);
  EXPECT_EQ(s->failures, 1);
  EXPECT_EQ(s->not_before_ms, now_ + 1001 + 700);
  for (const auto& e : *expired) {
    EXPECT_EQ(e.started, e.trial_id == started);
    EXPECT_EQ(e.worker_group, group_);
  }
}

TEST_F(TransitionsTest, FinalFailureIgnoresRetriesLeft) {
  const int64_t trial = TrialIn(TrialState::kLeased);
  EXPECT_EQ(*store_->FailAttempt(trial, 1, "invalid spec", std::nullopt), TrialState::kFailed);
}

TEST_F(TransitionsTest, BatchAppliesEachTransitionAloneInOneCommit) {
  const int64_t a = TrialIn(TrialState::kPending);
  const int64_t b = TrialIn(TrialState::kDone);
  const int64_t c = TrialIn(TrialState::kRunning);
  TrialResult r;
  r.metrics["accuracy"] = 0.7;
  std::vector<Transition> batch;
  batch.push_back(Transition::Lease(a, group_, now_ + 100));
  batch.push_back(Transition::Lease(b, group_, now_ + 100));  // illegal: done
  batch.push_back(Transition::Complete(c, 1, r));
  batch.push_back(Transition::MarkRunning(a, 1));  // sees the lease of the same batch
  auto results = store_->Apply(std::move(batch));
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 4u);
  EXPECT_TRUE((*results)[0].ok());
  EXPECT_EQ((*results)[1].status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*results)[2].ok());
  EXPECT_TRUE((*results)[3].ok());
  EXPECT_EQ(store_->GetTrial(a)->state, TrialState::kRunning);
  EXPECT_EQ(store_->GetTrial(b)->state, TrialState::kDone);
  EXPECT_EQ(store_->GetTrial(c)->state, TrialState::kDone);
  EXPECT_EQ(store_->GetMetrics(c)->at("accuracy"), 0.7);
}

}  // namespace
}  // namespace chromatune

namespace chromatune {
namespace {

// INTERFACES.md, "Failure accounting": attempts lost to the infrastructure are re-queued
// uncharged and counted apart (schema 7), per trial and per sweep.
TEST_F(TransitionsTest, InfrastructureRequeuesAreCountedNotCharged) {
  const int64_t released = TrialIn(TrialState::kRunning);
  ASSERT_TRUE(store_->ReleaseLease(released, 1, "round-mate hung", /*infrastructure=*/true).ok());
  const int64_t drained = TrialIn(TrialState::kRunning);
  ASSERT_TRUE(store_->ReleaseLease(drained, 1, "worker draining").ok());
  const int64_t lost_grant = TrialIn(TrialState::kLeased);
  const int64_t crashed = TrialIn(TrialState::kRunning);
  auto expired = store_->ExpireLeases(now_ + 100000);
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 2u);
  auto infra = [&](int64_t trial) {
    auto row = store_->GetTrial(trial);
    EXPECT_TRUE(row.ok());
    auto sweep = store_->GetSweepById(row->sweep_id);
    EXPECT_TRUE(sweep.ok());
    return std::make_pair(row->failures, sweep->infra_requeues);
  };
  EXPECT_EQ(infra(released), std::make_pair(0, int64_t{1}));
  EXPECT_EQ(infra(drained), std::make_pair(0, int64_t{0}));  // a drain is no fault
  EXPECT_EQ(infra(lost_grant), std::make_pair(0, int64_t{1}));
  EXPECT_EQ(infra(crashed), std::make_pair(1, int64_t{0}));  // a poison trial may kill its group
}

}  // namespace
}  // namespace chromatune
