#include "coordinator/scheduling_policy.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

// A policy that overrides nothing admits everything and has no preference.
class Neutral final : public SchedulingPolicy {
 public:
  const char* name() const override { return "neutral"; }
};

TEST(SchedulingPolicyTest, DefaultsAdmitAndDoNotOrder) {
  Neutral p;
  RunnableTrial a, b;
  a.ranks = 100;
  b.priority = 5;
  SchedulingContext ctx;
  EXPECT_TRUE(p.Admits(a, ctx));
  EXPECT_EQ(p.Compare(a, b, ctx), 0);
}

}  // namespace
}  // namespace chromatune::coordinator
