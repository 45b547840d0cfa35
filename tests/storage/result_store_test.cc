#include "storage/result_store.h"

#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using testing::PlanItem;

class ResultStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("results.db");
    store_ = OpenStore(StoreMode::kReadWrite);
    ASSERT_NE(store_, nullptr);
    auto group = store_->RegisterWorkerGroup(testing::Group("host-a", 2, {"cpu", "cpu"}));
    ASSERT_TRUE(group.ok()) << group.status().ToString();
    group_ = *group;
  }

  std::unique_ptr<ResultStore> OpenStore(StoreMode mode) {
    StoreOptions options;
    options.now_ms = [this] { return now_; };
    auto store = ResultStore::Open(path_, mode, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  NewSweep Sweep(const std::string& name, std::vector<nlohmann::json> items, int retries = 1) {
    NewSweep s;
    s.name = name;
    s.spec_yaml = "name: " + name + "\n";
    s.user = "alice";
    s.retries = retries;
    s.items = nlohmann::json(items);
    return s;
  }

  // Leases and completes a trial with accuracy `value`.
  void Finish(int64_t trial_id, double value) {
    auto lease = store_->Lease(trial_id, group_, now_ + 30000);
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    TrialResult result;
    result.metrics["accuracy"] = value;
    result.curves.push_back({"train_loss", 1, 2.0});
    result.curves.push_back({"train_loss", 2, 1.0});
    result.wall_seconds = 1.5;
    ASSERT_TRUE(store_->Complete(trial_id, lease->attempt, result).ok());
  }

  std::vector<TrialRecord> Trials(int64_t sweep_id) {
    TrialFilter f;
    f.sweep_id = sweep_id;
    auto trials = store_->ListTrials(f);
    EXPECT_TRUE(trials.ok());
    return trials.ok() ? *trials : std::vector<TrialRecord>{};
  }

  testing::ScratchDir dir_;
  std::string path_;
  int64_t now_ = 1'000'000;
  std::unique_ptr<ResultStore> store_;
  int64_t group_ = 0;
};

TEST_F(ResultStoreTest, CreateSweepStoresTrialsWithTheirPlanItems) {
  auto sub = store_->CreateSweep(
      Sweep("s1", {PlanItem("k1", "coop", 1, 1), PlanItem("k2", "coop", 2, 1, 4)}));
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_FALSE(sub->resumed);
  EXPECT_EQ(sub->created, 2);
  auto trials = Trials(sub->sweep_id);
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].key, "k1");
  EXPECT_EQ(trials[0].state, TrialState::kPending);
  EXPECT_EQ(trials[0].sweep, "s1");
  EXPECT_EQ(trials[1].ranks, 4);
  EXPECT_EQ(trials[1].item["shots"], 2);
  EXPECT_EQ(trials[1].item["params"]["lr"], 0.002);
  auto sweep = store_->GetSweep("s1");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->user, "alice");
  EXPECT_EQ(sweep->spec_yaml, "name: s1\n");
  EXPECT_EQ(sweep->counts.pending, 2);
  EXPECT_EQ(sweep->counts.total(), 2);
  auto users = store_->ListUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(*users, std::vector<std::string>{"alice"});
}

TEST_F(ResultStoreTest, BadItemsAreRefusedNamingTheFieldAndNothingIsStored) {
  auto item = PlanItem("k2", "coop", 1, 1);
  item["shots"] = "two";
  auto sub = store_->CreateSweep(Sweep("bad", {PlanItem("k1", "coop", 1, 1), item}));
  ASSERT_FALSE(sub.ok());
  EXPECT_EQ(sub.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sub.status().message(), "items[1].shots: must be an integer");

  auto dup = store_->CreateSweep(
      Sweep("bad", {PlanItem("k1", "coop", 1, 1), PlanItem("k1", "coop", 2, 1)}));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "items[1].key: duplicates the key of items[0]");

  auto ranks = PlanItem("k3", "coop", 1, 1);
  ranks["resources"]["ranks"] = 0;
  auto r = store_->CreateSweep(Sweep("bad", {ranks}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "items[0].resources.ranks: must be an integer >= 1");

  auto missing = PlanItem("k4", "coop", 1, 1);
  missing.erase("key");
  auto m = store_->CreateSweep(Sweep("bad", {missing}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "items[0].key: missing");

  EXPECT_EQ(store_->GetSweep("bad").status().code(), StatusCode::kNotFound);
}

TEST_F(ResultStoreTest, DoneTrialsAreReusedAcrossSweepsUnlessRerun) {
  auto a = store_->CreateSweep(Sweep("a", {PlanItem("k1", "coop", 1, 1)}));
  ASSERT_TRUE(a.ok());
  const int64_t original = Trials(a->sweep_id)[0].id;
  Finish(original, 0.75);

  auto b =
      store_->CreateSweep(Sweep("b", {PlanItem("k1", "coop", 1, 1), PlanItem("k2", "coop", 1, 2)}));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->reused, 1);
  EXPECT_EQ(b->created, 1);
  auto trials = Trials(b->sweep_id);
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::kDone);
  ASSERT_TRUE(trials[0].reused_from.has_value());
  EXPECT_EQ(*trials[0].reused_from, original);
  EXPECT_EQ(trials[0].wall_seconds, 1.5);
  auto metrics = store_->GetMetrics(trials[0].id);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->at("accuracy"), 0.75);
  auto curves = store_->GetCurves(trials[0].id);
  ASSERT_TRUE(curves.ok());
  EXPECT_EQ(curves->size(), 2u);

  // A chain of reuse points at the trial that actually ran.
  auto c = store_->CreateSweep(Sweep("c", {PlanItem("k1", "coop", 1, 1)}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*Trials(c->sweep_id)[0].reused_from, original);

  NewSweep rerun = Sweep("d", {PlanItem("k1", "coop", 1, 1)});
  rerun.rerun = true;
  auto d = store_->CreateSweep(rerun);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reused, 0);
  EXPECT_EQ(Trials(d->sweep_id)[0].state, TrialState::kPending);
}

TEST_F(ResultStoreTest, ResubmittingASweepResumesIt) {
  auto first = store_->CreateSweep(
      Sweep("s",
            {PlanItem("done", "coop", 1, 1), PlanItem("failed", "coop", 1, 2),
             PlanItem("running", "coop", 1, 3), PlanItem("pending", "coop", 1, 4),
             PlanItem("dropped", "coop", 1, 5)},
            /*retries=*/0));
  ASSERT_TRUE(first.ok());
  auto t = Trials(first->sweep_id);
  Finish(t[0].id, 0.5);
  auto lease = store_->Lease(t[1].id, group_, now_ + 1000);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(store_->FailAttempt(t[1].id, lease->attempt, "boom", now_).ok());
  auto running = store_->Lease(t[2].id, group_, now_ + 1000);
  ASSERT_TRUE(running.ok());
  auto dropped = store_->Lease(t[4].id, group_, now_ + 1000);
  ASSERT_TRUE(dropped.ok());

  auto again =
      store_->CreateSweep(Sweep("s",
                                {PlanItem("done", "coop", 1, 1), PlanItem("failed", "coop", 1, 2),
                                 PlanItem("running", "coop", 1, 3),
                                 PlanItem("pending", "coop", 1, 4), PlanItem("new", "coop", 1, 6)},
                                /*retries=*/2));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->sweep_id, first->sweep_id);
  EXPECT_EQ(again->created, 1);
  EXPECT_EQ(again->requeued, 1);
  EXPECT_EQ(again->unchanged, 3);
  EXPECT_EQ(again->dropped, 1);
  auto after = Trials(first->sweep_id);
  ASSERT_EQ(after.size(), 6u);
  EXPECT_EQ(after[0].state, TrialState::kDone);
  EXPECT_EQ(after[1].state, TrialState::kPending);
  EXPECT_EQ(after[1].failures, 0);
  EXPECT_EQ(after[2].state, TrialState::kLeased);
  EXPECT_EQ(after[3].state, TrialState::kPending);
  EXPECT_EQ(after[4].state, TrialState::kCancelled);
  EXPECT_EQ(after[5].key, "new");
  EXPECT_EQ(store_->GetSweep("s")->retries, 2);
  // The dropped trial's worker cannot deliver any more.
  EXPECT_EQ(store_->Complete(t[4].id, dropped->attempt, {}).code(),
            StatusCode::kFailedPrecondition);
  // A resubmission of a cancelled sweep re-queues what the cancel stopped.
  auto cancelled = store_->CancelSweep("s");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, 4);  // failed-then-requeued, running, pending, new
  EXPECT_TRUE(store_->GetSweep("s")->cancelled);
  auto third = store_->CreateSweep(
      Sweep("s", {PlanItem("done", "coop", 1, 1), PlanItem("running", "coop", 1, 3)}));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->requeued, 1);
  EXPECT_FALSE(store_->GetSweep("s")->cancelled);
}

TEST_F(ResultStoreTest, CancelSweepStopsUnfinishedTrialsOnly) {
  auto sub =
      store_->CreateSweep(Sweep("s", {PlanItem("a", "coop", 1, 1), PlanItem("b", "coop", 1, 2),
                                      PlanItem("c", "coop", 1, 3)}));
  ASSERT_TRUE(sub.ok());
  auto t = Trials(sub->sweep_id);
  Finish(t[0].id, 0.9);
  auto lease = store_->Lease(t[1].id, group_, now_ + 1000);
  ASSERT_TRUE(lease.ok());
  auto n = store_->CancelSweep("s");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  auto counts = store_->CountTrials(sub->sweep_id);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->done, 1);
  EXPECT_EQ(counts->cancelled, 2);
  EXPECT_TRUE(counts->finished());
  auto attempts = store_->ListAttempts(t[1].id);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].outcome, "cancelled");
  EXPECT_EQ(store_->CancelSweep("nope").status().code(), StatusCode::kNotFound);
  auto runnable = store_->ListRunnable(now_, 10);
  ASSERT_TRUE(runnable.ok());
  EXPECT_TRUE(runnable->empty());
}

TEST_F(ResultStoreTest, ListRunnableOrdersByPriorityThenAgeAndHonoursBackoff) {
  NewSweep low = Sweep("low", {PlanItem("l1", "coop", 1, 1), PlanItem("l2", "coop", 1, 2),
                               PlanItem("l3", "coop", 1, 3)});
  NewSweep high = Sweep("high", {PlanItem("h1", "coop", 1, 1, 2), PlanItem("h2", "coop", 1, 2)});
  high.priority = 5;
  high.user = "bob";
  ASSERT_TRUE(store_->CreateSweep(low).ok());
  auto h = store_->CreateSweep(high);
  ASSERT_TRUE(h.ok());
  auto r = store_->ListRunnable(now_, 2);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].sweep, "high");
  EXPECT_EQ((*r)[0].user, "bob");
  EXPECT_EQ((*r)[0].ranks, 2);
  EXPECT_EQ((*r)[0].priority, 5);
  EXPECT_EQ((*r)[2].sweep, "low");
  EXPECT_LT((*r)[2].trial_id, (*r)[3].trial_id);

  // A failed attempt with backoff leaves the queue until its time.
  const int64_t h1 = (*r)[0].trial_id;
  auto lease = store_->Lease(h1, group_, now_ + 1000);
  ASSERT_TRUE(lease.ok());
  auto state = store_->FailAttempt(h1, lease->attempt, "oom", now_ + 5000);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, TrialState::kPending);
  auto later = store_->ListRunnable(now_, 10);
  ASSERT_TRUE(later.ok());
  for (const auto& t : *later) EXPECT_NE(t.trial_id, h1);
  auto demand = store_->ListPendingDemand(now_);
  ASSERT_TRUE(demand.ok());
  ASSERT_EQ(demand->size(), 3u);  // high/2 ranks, high/1 rank, low/1 rank
  EXPECT_EQ((*demand)[0].sweep, "high");
  EXPECT_EQ((*demand)[0].ranks, 1);
  EXPECT_EQ((*demand)[1].ranks, 2);
  EXPECT_EQ((*demand)[1].runnable, 0);
  EXPECT_EQ((*demand)[1].backing_off, 1);
  EXPECT_EQ((*demand)[1].next_not_before_ms, now_ + 5000);
  auto at_time = store_->ListRunnable(now_ + 5000, 10);
  ASSERT_TRUE(at_time.ok());
  EXPECT_EQ((*at_time)[0].trial_id, h1);
  EXPECT_EQ((*at_time)[0].failures, 1);
}

TEST_F(ResultStoreTest, ListOutcomesJoinsMetricsAndFiltersBySweep) {
  auto a = store_->CreateSweep(
      Sweep("a", {PlanItem("k1", "coop", 1, 1), PlanItem("k2", "finetune", 2, 3)}));
  auto b = store_->CreateSweep(Sweep("b", {PlanItem("k3", "coop", 4, 1)}));
  ASSERT_TRUE(a.ok() && b.ok());
  auto t = Trials(a->sweep_id);
  Finish(t[1].id, 0.25);
  auto all = store_->ListOutcomes();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto only_a = store_->ListOutcomes("a");
  ASSERT_TRUE(only_a.ok());
  ASSERT_EQ(only_a->size(), 2u);
  const TrialOutcome& o = (*only_a)[1];
  EXPECT_EQ(o.trial_id, t[1].id);
  EXPECT_EQ(o.sweep, "a");
  EXPECT_EQ(o.task, "classification");
  EXPECT_EQ(o.dataset, "fashion-mnist");
  EXPECT_EQ(o.method, "finetune");
  EXPECT_EQ(o.shots, 2);
  EXPECT_EQ(o.data_seed, 3);
  EXPECT_EQ(o.train_seed, 1);
  EXPECT_EQ(o.state, "done");
  EXPECT_EQ(o.params["ctx_len"], 4);
  EXPECT_EQ(o.metrics.at("accuracy"), 0.25);
  EXPECT_TRUE((*only_a)[0].metrics.empty());
  auto none = store_->ListOutcomes("missing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(ResultStoreTest, WorkerGroupsUsersAndEvents) {
  auto second = store_->RegisterWorkerGroup(testing::Group("host-b", 4, {"cuda:0"}));
  ASSERT_TRUE(second.ok());
  now_ += 100;
  ASSERT_TRUE(store_->HeartbeatWorkerGroup(*second, now_).ok());
  ASSERT_TRUE(store_->RemoveWorkerGroup(group_).ok());
  EXPECT_EQ(store_->RemoveWorkerGroup(group_).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->HeartbeatWorkerGroup(group_, now_).code(), StatusCode::kNotFound);
  auto active = store_->ListWorkerGroups(false);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].host, "host-b");
  EXPECT_EQ((*active)[0].ranks, 4);
  EXPECT_EQ((*active)[0].devices, nlohmann::json({"cuda:0"}));
  EXPECT_EQ((*active)[0].last_heartbeat_ms, now_);
  auto all = store_->ListWorkerGroups(true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].state, "gone");
  EXPECT_EQ(store_->RegisterWorkerGroup(testing::Group("", 1, {})).status().code(),
            StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->EnsureUser("carol").ok());
  ASSERT_TRUE(store_->EnsureUser("carol").ok());
  EXPECT_EQ(*store_->ListUsers(), std::vector<std::string>{"carol"});

  auto id = store_->AppendEvent("note", "hello", std::nullopt, std::nullopt);
  ASSERT_TRUE(id.ok());
  auto events = store_->ListEvents(0, 2);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(events->back().kind, "note");
  EXPECT_EQ(events->back().id, *id);
  EXPECT_EQ(events->front().kind, "group.gone");
  auto newer = store_->ListEvents(*id, 10);
  ASSERT_TRUE(newer.ok());
  EXPECT_TRUE(newer->empty());
}

TEST_F(ResultStoreTest, ReadOnlyStoreSeesCommittedStateAndRefusesWrites) {
  ASSERT_TRUE(store_->CreateSweep(Sweep("s", {PlanItem("k1", "coop", 1, 1)})).ok());
  auto reader = OpenStore(StoreMode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  auto sweep = reader->GetSweep("s");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->counts.pending, 1);
  EXPECT_EQ(reader->CreateSweep(Sweep("t", {})).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->EnsureUser("x").code(), StatusCode::kFailedPrecondition);
  // The writer goes on while the reader is open; the reader sees the new commit.
  ASSERT_TRUE(store_->CreateSweep(Sweep("t", {PlanItem("k2", "coop", 1, 1)})).ok());
  auto sweeps = reader->ListSweeps();
  ASSERT_TRUE(sweeps.ok());
  ASSERT_EQ(sweeps->size(), 2u);
  EXPECT_EQ((*sweeps)[0].name, "t");
}

TEST_F(ResultStoreTest, ReopeningKeepsEverything) {
  auto sub = store_->CreateSweep(Sweep("s", {PlanItem("k1", "coop", 1, 1)}));
  ASSERT_TRUE(sub.ok());
  Finish(Trials(sub->sweep_id)[0].id, 0.5);
  store_.reset();
  store_ = OpenStore(StoreMode::kReadWrite);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->schema_version(), ResultStore::kSchemaVersion);
  auto outcomes = store_->ListOutcomes("s");
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_EQ((*outcomes)[0].metrics.at("accuracy"), 0.5);
}

TEST(TrialStateTest, NamesRoundTrip) {
  for (TrialState s : {TrialState::kPending, TrialState::kLeased, TrialState::kRunning,
                       TrialState::kDone, TrialState::kFailed, TrialState::kCancelled}) {
    auto parsed = ParseTrialState(TrialStateName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(ParseTrialState("runing").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsTerminal(TrialState::kCancelled));
  EXPECT_FALSE(IsTerminal(TrialState::kRunning));
}

}  // namespace
}  // namespace chromatune
