#include "experiments/runner.h"

#include <gtest/gtest.h>

namespace chromatune {
namespace {

TEST(RunnerTest, NoopReportsItsValue) {
  TrialRunner runner(RunnerOptions{});
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r = runner.Run({{"method", "noop"}, {"params", {{"value", 0.75}, {"sleep_ms", 20}}}}, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->metrics.at("accuracy"), 0.75);
  EXPECT_GE(r->wall_seconds, 0.015);
}

// array_size: an array the chaos tests find in the HDF5 file, marked with the train seed.
TEST(RunnerTest, NoopReportsAnArrayOfTheAskedSize) {
  TrialRunner runner(RunnerOptions{});
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r =
      runner.Run({{"method", "noop"}, {"train_seed", 3}, {"params", {{"array_size", 1500}}}}, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->arrays.size(), 1u);
  EXPECT_EQ(r->arrays[0].name, "noop_values");
  EXPECT_EQ(r->arrays[0].shape, std::vector<int64_t>{1500});
  ASSERT_EQ(r->arrays[0].data.size(), 1500u);
  EXPECT_EQ(r->arrays[0].data[0], 3000.0f);
  EXPECT_EQ(r->arrays[0].data[1499], 3499.0f);
  auto none = runner.Run({{"method", "noop"}, {"params", {{"array_size", 0}}}}, ctx);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->arrays.empty());
  auto bad = runner.Run({{"method", "noop"}, {"params", {{"array_size", -1}}}}, ctx);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(RunnerTest, TorchMethodWithoutTorchIsAClearError) {
  TrialRunner runner(RunnerOptions{});
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r = runner.Run({{"method", "coop"}}, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("coop"), std::string::npos);
}

TEST(RunnerTest, NoopCancels) {
  TrialRunner runner(RunnerOptions{});
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  ctx.cancelled = [] { return true; };
  auto r = runner.Run({{"method", "noop"}, {"params", {{"sleep_ms", 10000}}}}, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(TrialResultTest, JsonRoundTripAndShapeCheck) {
  TrialResult r;
  r.metrics["accuracy"] = 0.5;
  r.curves.push_back({"train_loss", 3, 1.25});
  r.arrays.push_back({"predictions", {2, 2}, {1, 2, 3, 4}});
  auto back = TrialResultFromJson(TrialResultToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->arrays[0].shape, (std::vector<int64_t>{2, 2}));
  auto j = TrialResultToJson(r);
  j["arrays"][0]["shape"] = {3};
  EXPECT_FALSE(TrialResultFromJson(j).ok());
}

}  // namespace
}  // namespace chromatune
