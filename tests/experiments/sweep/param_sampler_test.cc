#include "experiments/sweep/param_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace chromatune {
namespace {

ParamSetting Range(DistributionKind kind, double low, double high) {
  ParamSetting s;
  s.kind = ParamSetting::Kind::kDistribution;
  s.distribution = kind;
  s.low = low;
  s.high = high;
  return s;
}

TEST(ParamSamplerTest, SplitMix64ReferenceValues) {
  // SplitMix64 seeded with 0 (Vigna's reference implementation).
  ParamSampler s(0);
  EXPECT_EQ(s.NextU64(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(s.NextU64(), 0x6E789E6AA1B965F4ULL);
}

TEST(ParamSamplerTest, DrawsStayInRange) {
  ParamSampler s(42);
  const auto uniform = Range(DistributionKind::kUniform, 0.25, 0.5);
  const auto log_uniform = Range(DistributionKind::kLogUniform, 1e-5, 1e-3);
  const auto ints = Range(DistributionKind::kIntUniform, 2, 4);
  std::map<int64_t, int> int_counts;
  int below_1e4 = 0;
  for (int i = 0; i < 2000; ++i) {
    const double u = s.Draw(uniform).get<double>();
    EXPECT_GE(u, 0.25);
    EXPECT_LT(u, 0.5);
    const double l = s.Draw(log_uniform).get<double>();
    EXPECT_GE(l, 1e-5);
    EXPECT_LE(l, 1e-3);
    if (l < 1e-4) ++below_1e4;
    const auto n = s.Draw(ints);
    EXPECT_TRUE(n.is_number_integer());
    ++int_counts[n.get<int64_t>()];
  }
  // Both ends of int_uniform are included; log_uniform puts half its mass below 1e-4.
  EXPECT_EQ(int_counts.size(), 3u);
  EXPECT_GT(int_counts[2], 500);
  EXPECT_GT(int_counts[4], 500);
  EXPECT_GT(below_1e4, 800);
  EXPECT_LT(below_1e4, 1200);
}

TEST(ParamSamplerTest, ChoiceAndSweepPickFromValuesFixedReturnsIt) {
  ParamSampler s(1);
  ParamSetting choice;
  choice.kind = ParamSetting::Kind::kDistribution;
  choice.distribution = DistributionKind::kChoice;
  choice.values = {"a", "b"};
  ParamSetting sweep;
  sweep.kind = ParamSetting::Kind::kSweep;
  sweep.values = {1, 2, 3};
  ParamSetting fixed;
  fixed.values = {7};
  std::map<std::string, int> seen;
  for (int i = 0; i < 200; ++i) {
    ++seen[s.Draw(choice).get<std::string>()];
    const int64_t v = s.Draw(sweep).get<int64_t>();
    EXPECT_GE(v, 1);
    EXPECT_LE(v, 3);
    EXPECT_EQ(s.Draw(fixed), 7);
  }
  EXPECT_EQ(seen.size(), 2u);
}

TEST(ParamSamplerTest, MethodSeedsDifferAndAreStable) {
  EXPECT_EQ(MethodSamplerSeed(5, 0), MethodSamplerSeed(5, 0));
  EXPECT_NE(MethodSamplerSeed(5, 0), MethodSamplerSeed(5, 1));
  EXPECT_NE(MethodSamplerSeed(5, 0), MethodSamplerSeed(6, 0));
}

}  // namespace
}  // namespace chromatune
