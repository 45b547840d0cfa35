#include "worker/trial_watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace chromatune::worker {
namespace {

using namespace std::chrono_literals;

TEST(TrialWatchdogTest, FiresOnceWhenNoStepCameForTheTimeout) {
  std::atomic<int> calls{0};
  std::atomic<int64_t> idle_ms{0};
  TrialWatchdog dog(100ms, [&](std::chrono::milliseconds idle) {
    idle_ms = idle.count();
    ++calls;
  });
  std::this_thread::sleep_for(400ms);
  EXPECT_TRUE(dog.fired());
  EXPECT_EQ(calls.load(), 1);
  EXPECT_GE(idle_ms.load(), 100);
}

TEST(TrialWatchdogTest, StepsKeepItQuiet) {
  std::atomic<int> calls{0};
  {
    TrialWatchdog dog(150ms, [&](std::chrono::milliseconds) { ++calls; });
    for (int i = 0; i < 12; ++i) {  // 600 ms of steps 50 ms apart
      std::this_thread::sleep_for(50ms);
      dog.Step();
    }
    EXPECT_FALSE(dog.fired());
  }  // destroyed while watching: stops without firing
  EXPECT_EQ(calls.load(), 0);
}

TEST(TrialWatchdogTest, NoTimeoutWatchesNothing) {
  std::atomic<int> calls{0};
  TrialWatchdog dog(0ms, [&](std::chrono::milliseconds) { ++calls; });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(dog.fired());
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace chromatune::worker
