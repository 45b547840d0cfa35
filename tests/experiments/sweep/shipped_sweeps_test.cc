// Every sweep file the project ships (experiments/sweeps/: the demo study and the examples
// the docs point to) parses, validates and plans.
#include <gtest/gtest.h>

#include <filesystem>

#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

namespace chromatune {
namespace {

TEST(ShippedSweepsTest, EveryShippedSweepFilePlans) {
  int files = 0, demo = 0;
  for (const auto& entry : std::filesystem::directory_iterator("experiments/sweeps")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    if (entry.path().filename().string().rfind("demo-", 0) == 0) ++demo;
    auto spec = ParseSweepFile(entry.path().string());
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    auto plan = PlanSweep(*spec);
    ASSERT_TRUE(plan.ok()) << entry.path() << ": " << plan.status().message();
    EXPECT_GT(plan->count, 0) << entry.path();
  }
  EXPECT_GE(files, 2);
  EXPECT_EQ(demo, 4) << "chromatune demo runs the demo-*.yaml files";
}

}  // namespace
}  // namespace chromatune
