#include "worker/trial_execution.h"

#include <gtest/gtest.h>

#include <chrono>

namespace chromatune::worker {
namespace {

TrialOutcomeMessage Execute(const nlohmann::json& item, std::function<bool()> cancelled = {}) {
  TrialRunner runner(RunnerOptions{});
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  ctx.cancelled = std::move(cancelled);
  return ExecuteTrial(runner, item, ctx);
}

nlohmann::json Noop(const std::string& fail, int sleep_ms = 0) {
  return {{"method", "noop"},
          {"params", {{"fail", fail}, {"sleep_ms", sleep_ms}, {"value", 0.25}}}};
}

TEST(TrialExecutionTest, SuccessCarriesTheWireResult) {
  auto out = Execute(Noop("none"));
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_DOUBLE_EQ(out.result["metrics"]["accuracy"].get<double>(), 0.25);
}

TEST(TrialExecutionTest, InjectedErrorAndExceptionBecomeErrors) {
  auto error = Execute(Noop("error"));
  EXPECT_FALSE(error.ok);
  EXPECT_NE(error.error.find("injected error"), std::string::npos);
  EXPECT_FALSE(error.final);
  auto thrown = Execute(Noop("throw"));
  EXPECT_FALSE(thrown.ok);
  EXPECT_NE(thrown.error.find("injected exception"), std::string::npos);
}

// The fault comes once the trial ran its sleep_ms (a crash test lets round-mates get going);
// a trial cancelled before that ends cancelled, without its fault.
TEST(TrialExecutionTest, TheFaultComesAfterTheSleep) {
  const auto start = std::chrono::steady_clock::now();
  auto error = Execute(Noop("error", 200));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_NE(error.error.find("injected error"), std::string::npos);
  auto cancelled = Execute(Noop("error", 10000), [] { return true; });
  EXPECT_TRUE(cancelled.cancelled);
  EXPECT_EQ(cancelled.error.find("injected"), std::string::npos);
}

TEST(TrialExecutionTest, UnrunnableMethodIsFinal) {
  auto out = Execute({{"method", "coop"}});
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.final);  // a binary without LibTorch will never run it
}

TEST(TrialExecutionTest, CancellationIsNotAFailure) {
  auto out = Execute(Noop("none", 10000), [] { return true; });
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.cancelled);
}

TEST(TrialExecutionDeathTest, SegfaultKillsTheProcess) {
  EXPECT_DEATH(Execute(Noop("segfault")), "");
}

}  // namespace
}  // namespace chromatune::worker
