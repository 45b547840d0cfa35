#include "coordinator/scheduler.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

RunnableTrial T(int64_t id, int64_t sweep, std::string user, int priority, int ranks) {
  RunnableTrial t;
  t.trial_id = id;
  t.sweep_id = sweep;
  t.sweep = "s" + std::to_string(sweep);
  t.user = std::move(user);
  t.priority = priority;
  t.ranks = ranks;
  return t;
}

TEST(SchedulerTest, HigherPriorityFirstThenFifo) {
  Scheduler s;
  SchedulingContext ctx;
  ctx.free_ranks = 1;
  auto pick = s.Pick({T(1, 1, "a", 0, 1), T(2, 2, "a", 5, 1), T(3, 2, "a", 5, 1)}, ctx);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->trial_id, 2);
}

TEST(SchedulerTest, FairShareFavoursTheUserHoldingLess) {
  Scheduler s;
  SchedulingContext ctx;
  ctx.free_ranks = 1;
  ctx.ranks_in_use_by_user["alice"] = 3;
  ctx.ranks_in_use_by_sweep[1] = 3;
  auto pick = s.Pick({T(1, 1, "alice", 0, 1), T(9, 2, "bob", 0, 1)}, ctx);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->trial_id, 9);
}

TEST(SchedulerTest, FairShareAcrossSweepsOfOneUser) {
  Scheduler s;
  SchedulingContext ctx;
  ctx.free_ranks = 1;
  ctx.ranks_in_use_by_user["alice"] = 2;
  ctx.ranks_in_use_by_sweep[1] = 2;
  auto pick = s.Pick({T(1, 1, "alice", 0, 1), T(5, 2, "alice", 0, 1)}, ctx);
  EXPECT_EQ(pick->trial_id, 5);
}

TEST(SchedulerTest, GangNeedsAllRanksFree) {
  Scheduler s;
  SchedulingContext ctx;
  ctx.free_ranks = 2;
  EXPECT_FALSE(s.Pick({T(1, 1, "a", 0, 4)}, ctx));
  auto pick = s.Pick({T(1, 1, "a", 0, 4), T(2, 1, "a", 0, 2)}, ctx);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->trial_id, 2);
}

TEST(SchedulerTest, PickManyPacksAGroupWithSmallerTrials) {
  Scheduler s;
  SchedulingContext ctx;
  ctx.free_ranks = 4;
  auto picks = s.PickMany(
      {T(1, 1, "a", 0, 2), T(2, 1, "a", 0, 1), T(3, 1, "a", 0, 2), T(4, 1, "a", 0, 1)}, ctx, 4);
  // Bigger gangs first among equals: 2 + 2 ranks fill the group.
  ASSERT_EQ(picks.size(), 2u);
  EXPECT_EQ(picks[0].trial_id, 1);
  EXPECT_EQ(picks[1].trial_id, 3);
  auto limited = s.PickMany({T(1, 1, "a", 0, 1), T(2, 1, "a", 0, 1)}, ctx, 1);
  EXPECT_EQ(limited.size(), 1u);
}

TEST(SchedulerTest, PickManyKeepsFairShareWithinOneRequest) {
  Scheduler s;
  SchedulingContext ctx;
  ctx.free_ranks = 4;
  auto picks = s.PickMany({T(1, 1, "alice", 0, 1), T(2, 1, "alice", 0, 1), T(3, 1, "alice", 0, 1),
                           T(4, 2, "bob", 0, 1), T(5, 2, "bob", 0, 1)},
                          ctx, 4);
  ASSERT_EQ(picks.size(), 4u);
  int alice = 0;
  for (const auto& p : picks) alice += p.user == "alice";
  EXPECT_EQ(alice, 2);
}

TEST(SchedulerTest, CustomChainIsUsed) {
  std::vector<std::unique_ptr<SchedulingPolicy>> none;
  Scheduler fifo(std::move(none));
  SchedulingContext ctx;
  ctx.free_ranks = 1;
  // Without policies: FIFO, and nothing filters by ranks.
  auto pick = fifo.Pick({T(7, 1, "a", 9, 8), T(3, 1, "a", 0, 1)}, ctx);
  EXPECT_EQ(pick->trial_id, 3);
}

}  // namespace
}  // namespace chromatune::coordinator
