#include "datasets/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace chromatune::datasets {
namespace {

TEST(RngTest, SameSeedSameStreamAndKnownFirstValue) {
  Rng a(42), b(42), c(43);
  const uint64_t first = a.Next();
  EXPECT_EQ(first, b.Next());
  EXPECT_NE(first, c.Next());
  // SplitMix64 reference value for seed 42 (pins the stream across platforms and versions).
  EXPECT_EQ(Rng(42).Next(), 0xbdd732262feb6e95ULL);
}

TEST(RngTest, MixSeedDependsOnOrder) {
  EXPECT_NE(MixSeed(1, 2), MixSeed(2, 1));
  EXPECT_EQ(MixSeed(1, 2, 3), MixSeed(MixSeed(1, 2), 3));
}

TEST(RngTest, UniformIntCoversTheClosedRangeEvenly) {
  Rng rng(7);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 50000; ++i) {
    const int64_t v = rng.UniformInt(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    ++counts[static_cast<size_t>(v + 2)];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  EXPECT_EQ(rng.UniformInt(3, 3), 3);
}

TEST(RngTest, UniformAndShuffle) {
  Rng rng(9);
  for (int i = 0; i < 1000; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  std::vector<int> v(20);
  std::iota(v.begin(), v.end(), 0);
  std::vector<int> shuffled = v;
  rng.Shuffle(&shuffled);
  EXPECT_NE(shuffled, v);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, v);
}

}  // namespace
}  // namespace chromatune::datasets
