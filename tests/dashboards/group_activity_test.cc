#include "dashboards/group_activity.h"

#include <gtest/gtest.h>

namespace chromatune::dashboards {
namespace {

using nlohmann::json;

WorkerGroupInfo Group(int64_t id, int64_t heartbeat_ms) {
  WorkerGroupInfo g;
  g.id = id;
  g.host = "node" + std::to_string(id);
  g.ranks = 2;
  g.state = "active";
  g.last_heartbeat_ms = heartbeat_ms;
  return g;
}

TrialRecord Held(int64_t id, int64_t group, int64_t updated_ms, double progress,
                 const std::string& note) {
  TrialRecord t;
  t.id = id;
  t.sweep = "s";
  t.state = TrialState::kRunning;
  t.worker_group = group;
  t.updated_ms = updated_ms;
  t.progress = progress;
  t.progress_note = note;
  t.item = {{"method", "coop"},
            {"shots", 4},
            {"data_seed", 1},
            {"train_seed", 2},
            {"params", {{"lr", 0.002}, {"ctx", {{"name", "a photo"}}}, {"unset", nullptr}}}};
  return t;
}

TEST(GroupActivityTest, HeardFromIsTheNewestOfTheGroupAndItsTrialsHeartbeats) {
  // Group 1: its own heartbeat at 1,000 but a trial heartbeat at 185,000; group 2 idle.
  json groups = GroupActivityJson({Group(1, 1000), Group(2, 5000)},
                                  {Held(7, 1, 185000, 0.4, "epoch 4/10"), Held(8, 1, 2000, 0, "")});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0]["last_heartbeat_ms"], 1000);
  EXPECT_EQ(groups[0]["last_heard_ms"], 185000);
  EXPECT_EQ(groups[1]["last_heard_ms"], 5000);
  EXPECT_EQ(groups[1]["trials"], json::array());
}

TEST(GroupActivityTest, TrialsSayWhatTheGroupDoesStartedOnesFirst) {
  // The trial leased ahead (no progress, no note) was heard from last, yet comes second.
  json groups = GroupActivityJson(
      {Group(1, 0)}, {Held(8, 1, 9000, 0, ""), Held(7, 1, 8000, 0.4, "epoch 4/10, loss 0.5")});
  const json& trials = groups[0]["trials"];
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0]["id"], 7);
  EXPECT_EQ(trials[0]["started"], true);
  EXPECT_EQ(trials[0]["note"], "epoch 4/10, loss 0.5");
  EXPECT_DOUBLE_EQ(trials[0]["progress"].get<double>(), 0.4);
  EXPECT_EQ(trials[0]["method"], "coop");
  EXPECT_EQ(trials[0]["train_seed"], 2);
  EXPECT_EQ(trials[0]["params_text"], "ctx=a photo lr=0.002");  // the report's rule
  EXPECT_EQ(trials[1]["id"], 8);
  EXPECT_EQ(trials[1]["started"], false);
  EXPECT_EQ(groups[0]["last_heard_ms"], 9000);
}

TEST(GroupActivityTest, ATrialCountsOnlyForTheGroupItIsLeasedTo) {
  json groups = GroupActivityJson({Group(1, 100), Group(2, 100)}, {Held(7, 2, 900, 0.1, "x")});
  EXPECT_EQ(groups[0]["trials"].size(), 0u);
  EXPECT_EQ(groups[0]["last_heard_ms"], 100);
  EXPECT_EQ(groups[1]["trials"].size(), 1u);
  EXPECT_EQ(groups[1]["last_heard_ms"], 900);
}

}  // namespace
}  // namespace chromatune::dashboards
