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
