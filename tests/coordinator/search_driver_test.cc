// The coordinator's adaptive search against a real store: ASHA on replicate groups through
// heartbeats, stopped trials, TPE suggestions at lease time, and restarts in between.
#include "coordinator/search_driver.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/coordinator/coordinator_fixture.h"

namespace chromatune::coordinator::testing {
namespace {

// Four noop configurations (value 0.3, 0.9, 0.5, 0.2 with rate 0: a flat curve), two data
// seeds each; ASHA min 1, max 9, eta 2: decision rungs at epochs 1, 2, 4 and 8.
std::string AshaSweep(const std::string& name = "asha") {
  return "name: " + name +
         "\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
         "replicates: {data_seeds: [1, 2], train_seeds: [1]}\n"
         "methods:\n  - {name: noop, value: [0.3, 0.9, 0.5, 0.2]}\n"
         "search: {mode: grid, scheduler: {name: asha, min: 1, max: 9, eta: 2}}\n";
}

class SearchTest : public CoordinatorTest {
 protected:
  RungResult Rung(int rung, int64_t epoch, double accuracy) {
    return RungResult{rung, epoch, {{"accuracy", accuracy}}};
  }
  HeartbeatAnswer Beat(const LeaseGrant& g, const RungResult& r) {
    auto a = coordinator_->Heartbeat(g.trial_id, Claim(g), 0.1, "", r);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : HeartbeatAnswer{};
  }
  // Every trial of the sweep, leased by one big group.
  std::vector<LeaseGrant> LeaseAll(int64_t group, int n) { return LeaseNow(group, n, n); }
};

TEST_F(SearchTest, PairedAshaStopsGroupsOnTheirMeanAndStoresThemStopped) {
  const int64_t g = Group(8);
  Submit(AshaSweep());
  auto grants = LeaseAll(g, 8);
  ASSERT_EQ(grants.size(), 8u);
  // Plan order: configuration c's replicates are grants 2c and 2c+1.
  std::map<std::string, std::vector<LeaseGrant>> by_config;
  for (const auto& gr : grants) {
    EXPECT_EQ(gr.item["params"]["epochs"], 9);  // max replaces epochs
    by_config[gr.item["search"]["config"].get<std::string>()].push_back(gr);
  }
  const auto& c0 = by_config["0:noop@1/0"];  // 0.3
  const auto& c1 = by_config["0:noop@1/1"];  // 0.9
  const auto& c2 = by_config["0:noop@1/2"];  // 0.5
  ASSERT_EQ(c0.size(), 2u);
  // c0's first replicate reports rung 0: no decision until its second one does.
  EXPECT_FALSE(Beat(c0[0], Rung(0, 1, 0.3)).stop);
  EXPECT_TRUE(store_->ListSearchDecisions(store_->GetSweep("asha")->id)->empty());
  EXPECT_FALSE(Beat(c0[1], Rung(0, 1, 0.3)).stop);  // first decided: promoted
  // c1 is better; c2 (0.5, with a lucky 0.8 on one seed: mean 0.5) is not the best of three
  // (eta 2: top max(1, 3/2) = 1): stopped, both replicates.
  EXPECT_FALSE(Beat(c1[0], Rung(0, 1, 0.9)).stop);
  EXPECT_FALSE(Beat(c1[1], Rung(0, 1, 0.9)).stop);
  EXPECT_FALSE(Beat(c2[0], Rung(0, 1, 0.8)).stop) << "one lucky seed decides nothing";
  EXPECT_TRUE(Beat(c2[1], Rung(0, 1, 0.2)).stop);
  // Its other replicate learns it at its next heartbeat (the trial is stopped already).
  auto again = coordinator_->Heartbeat(c2[0].trial_id, Claim(c2[0]), 0.3, "", std::nullopt);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->stop);
  for (const auto& gr : c2) {
    auto t = store_->GetTrial(gr.trial_id);
    EXPECT_EQ(t->state, TrialState::kStopped);
    EXPECT_DOUBLE_EQ(store_->GetMetrics(gr.trial_id)->at("accuracy"),
                     gr.trial_id == c2[0].trial_id ? 0.8 : 0.2);  // its own last rung
  }
  EXPECT_EQ(Counts("asha").stopped, 2);
  // A stopped trial's completion is refused (it is no longer leased): stored once, stopped.
  EXPECT_FALSE(coordinator_->Complete(c2[0].trial_id, Claim(c2[0]), Metrics(0.5)).ok());
  // A resubmission leaves stopped trials stopped.
  Submit(AshaSweep());
  EXPECT_EQ(Counts("asha").stopped, 2);
  EXPECT_EQ(store_->GetTrial(c2[1].trial_id)->state, TrialState::kStopped);
}

TEST_F(SearchTest, RestartedCoordinatorKeepsRungsAndDecisionsAndRepeatsNothing) {
  const int64_t g = Group(8);
  Submit(AshaSweep());
  auto grants = LeaseAll(g, 8);
  ASSERT_EQ(grants.size(), 8u);
  EXPECT_FALSE(Beat(grants[0], Rung(0, 1, 0.3)).stop);
  EXPECT_FALSE(Beat(grants[1], Rung(0, 1, 0.3)).stop);
  EXPECT_FALSE(Beat(grants[2], Rung(0, 1, 0.9)).stop);
  // kill -9 and restart: a new Coordinator on the same store.
  Reset();
  ASSERT_TRUE(coordinator_->Recover().ok());
  // The repeat of a rung reported before the crash counts once (the row exists).
  EXPECT_FALSE(Beat(grants[2], Rung(0, 1, 0.1)).stop);
  EXPECT_FALSE(Beat(grants[3], Rung(0, 1, 0.9)).stop);
  const int64_t sweep = store_->GetSweep("asha")->id;
  auto decisions = store_->ListSearchDecisions(sweep);
  ASSERT_EQ(decisions->size(), 2u);
  EXPECT_TRUE((*decisions)[1].promoted);
  EXPECT_DOUBLE_EQ((*decisions)[1].mean, 0.9);  // not (0.1 + 0.9) / 2
  auto reports = store_->ListRungReports(sweep);
  ASSERT_TRUE(reports.ok());
  for (const auto& r : *reports) {
    if (r.trial_id == grants[2].trial_id) {
      EXPECT_DOUBLE_EQ(r.value, 0.9) << "the row is kept";
    }
  }
  // Config 2 (0.5) arrives after the restart: compared with both restored decisions.
  EXPECT_FALSE(Beat(grants[4], Rung(0, 1, 0.5)).stop);
  EXPECT_TRUE(Beat(grants[5], Rung(0, 1, 0.5)).stop);
  EXPECT_EQ(store_->ListSearchDecisions(sweep)->size(), 3u);
}

TEST_F(SearchTest, ACompletionCarriesTheRungsOfATrialTooShortToHeartbeat) {
  const int64_t g = Group(8);
  Submit(AshaSweep());
  auto grants = LeaseAll(g, 8);
  for (int i = 0; i < 2; ++i) {
    TrialResult r = Metrics(0.4);
    r.info["rungs"] = {{{"rung", 0}, {"epoch", 1}, {"metrics", {{"accuracy", 0.3}}}},
                       {{"rung", 1}, {"epoch", 2}, {"metrics", {{"accuracy", 0.35}}}}};
    ASSERT_TRUE(coordinator_->Complete(grants[i].trial_id, Claim(grants[i]), r).ok());
  }
  const int64_t sweep = store_->GetSweep("asha")->id;
  auto reports = store_->ListRungReports(sweep);
  EXPECT_EQ(reports->size(), 4u);
  auto decisions = store_->ListSearchDecisions(sweep);
  // Rungs 0 and 1 as reported; rungs 2 and 3 (epochs 4, 8), never reported, count the full
  // run's final value.
  ASSERT_EQ(decisions->size(), 4u);
  EXPECT_DOUBLE_EQ((*decisions)[0].mean, 0.3);
  EXPECT_DOUBLE_EQ((*decisions)[1].mean, 0.35);
  EXPECT_DOUBLE_EQ((*decisions)[2].mean, 0.4);
  EXPECT_DOUBLE_EQ((*decisions)[3].mean, 0.4);
  EXPECT_EQ(Counts("asha").done, 2);
}

std::string TpeSweep(int samples) {
  return "name: tpe\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
         "replicates: {data_seeds: [1, 2], train_seeds: [1]}\n"
         "methods:\n  - {name: noop, value: {uniform: [0.0, 1.0]}, sleep_ms: [0, 5]}\n"
         "search: {mode: tpe, samples: " +
         std::to_string(samples) + ", seed: 4, n_startup: 2}\n";
}

TEST_F(SearchTest, TpeFillsEachConfigurationOnceAndReplicatesShareIt) {
  const int64_t g = Group(1);
  Submit(TpeSweep(5));
  EXPECT_EQ(Counts("tpe").total(), 10);
  std::map<std::string, nlohmann::json> seen;
  for (int i = 0; i < 10; ++i) {
    auto grants = LeaseNow(g);
    ASSERT_EQ(grants.size(), 1u);
    const auto& item = grants[0].item;
    const std::string config = item["search"]["config"];
    ASSERT_TRUE(item["params"].contains("value")) << item.dump();
    ASSERT_TRUE(item["params"].contains("sleep_ms"));
    EXPECT_EQ(store_->GetTrial(grants[0].trial_id)
                  ->item.value("params", nlohmann::json())
                  .contains("value"),
              false)
        << "the template keeps the slot";
    auto [it, first] = seen.emplace(config, item["params"]);
    if (!first) {
      EXPECT_EQ(it->second, item["params"]) << "replicates share the configuration";
    }
    ASSERT_TRUE(coordinator_
                    ->Complete(grants[0].trial_id, Claim(grants[0]),
                               Metrics(item["params"]["value"].get<double>()))
                    .ok());
    if (i == 4) {  // a restart half-way: no suggestion is made twice
      Reset();
      ASSERT_TRUE(coordinator_->Recover().ok());
    }
  }
  EXPECT_EQ(seen.size(), 5u);
  auto suggestions = store_->ListSuggestions(store_->GetSweep("tpe")->id);
  EXPECT_EQ(suggestions->size(), 5u);
  // The report groups by the filled parameters: the trial rows carry them.
  TrialFilter filter;
  filter.limit = 0;
  auto trials = store_->ListTrials(filter);
  ASSERT_TRUE(trials.ok());
  for (const auto& t : *trials) EXPECT_EQ(t.state, TrialState::kDone);
}

}  // namespace
}  // namespace chromatune::coordinator::testing
