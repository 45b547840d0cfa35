#include "coordinator/gang_policy.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

TEST(GangPolicyTest, AdmitsOnlyWhatFitsTheFreeRanks) {
  GangPolicy p;
  SchedulingContext ctx;
  ctx.free_ranks = 2;
  RunnableTrial t;
  t.ranks = 2;
  EXPECT_TRUE(p.Admits(t, ctx));
  t.ranks = 3;
  EXPECT_FALSE(p.Admits(t, ctx));
  t.ranks = 0;
  EXPECT_FALSE(p.Admits(t, ctx));
}

TEST(GangPolicyTest, BiggerGangsFirst) {
  GangPolicy p;
  RunnableTrial a, b;
  a.ranks = 4;
  b.ranks = 1;
  EXPECT_LT(p.Compare(a, b, {}), 0);
  EXPECT_GT(p.Compare(b, a, {}), 0);
  EXPECT_EQ(p.Compare(a, a, {}), 0);
}

}  // namespace
}  // namespace chromatune::coordinator
