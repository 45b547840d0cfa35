#include "worker/backoff.h"

#include <gtest/gtest.h>

namespace chromatune::worker {
namespace {

using namespace std::chrono_literals;

TEST(BackoffTest, DoublesWithJitterUpToTheCap) {
  Backoff b(100ms, 1000ms);
  const int64_t bases[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t base : bases) {
    auto d = b.Next().count();
    EXPECT_GE(d, base / 2);
    EXPECT_LE(d, base);
  }
  EXPECT_EQ(b.attempts(), 6);
  b.Reset();
  EXPECT_LE(b.Next().count(), 100);
}

}  // namespace
}  // namespace chromatune::worker
