#include "coordinator/priority_policy.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

TEST(PriorityPolicyTest, HigherFirstAndAdmitsAll) {
  PriorityPolicy p;
  RunnableTrial hi, lo;
  hi.priority = 10;
  lo.priority = -3;
  EXPECT_LT(p.Compare(hi, lo, {}), 0);
  EXPECT_GT(p.Compare(lo, hi, {}), 0);
  EXPECT_TRUE(p.Admits(lo, {}));
}

}  // namespace
}  // namespace chromatune::coordinator
