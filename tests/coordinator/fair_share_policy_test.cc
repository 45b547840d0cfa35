#include "coordinator/fair_share_policy.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

TEST(FairSharePolicyTest, UserThenSweepHoldingFewerRanksFirst) {
  FairSharePolicy p;
  SchedulingContext ctx;
  ctx.ranks_in_use_by_user = {{"alice", 4}, {"bob", 1}};
  ctx.ranks_in_use_by_sweep = {{1, 3}, {2, 1}, {3, 1}};
  RunnableTrial a1, a2, b3;
  a1.user = "alice";
  a1.sweep_id = 1;
  a2.user = "alice";
  a2.sweep_id = 2;
  b3.user = "bob";
  b3.sweep_id = 3;
  EXPECT_GT(p.Compare(a1, b3, ctx), 0);  // alice holds more
  EXPECT_LT(p.Compare(a2, a1, ctx), 0);  // same user: sweep 2 holds less
  EXPECT_EQ(p.Compare(a1, a1, ctx), 0);
  RunnableTrial newcomer;
  newcomer.user = "carol";
  newcomer.sweep_id = 4;
  EXPECT_LT(p.Compare(newcomer, b3, ctx), 0);  // holding nothing goes first
}

}  // namespace
}  // namespace chromatune::coordinator
