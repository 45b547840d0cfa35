#include "datasets/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace chromatune::datasets {
namespace {

// 10 classes, 50 examples each, interleaved.
std::vector<int> Labels(int per_class = 50, int classes = 10) {
  std::vector<int> labels;
  for (int i = 0; i < per_class * classes; ++i) labels.push_back(i % classes);
  return labels;
}

TEST(SamplerTest, ParsesShotUnits) {
  EXPECT_EQ(*ParseShotUnit("per_class"), ShotUnit::kPerClass);
  EXPECT_EQ(*ParseShotUnit("total"), ShotUnit::kTotal);
  auto bad = ParseShotUnit("per-class");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("shot_unit"), std::string::npos);
  EXPECT_STREQ(ShotUnitName(ShotUnit::kTotal), "total");
}

TEST(SamplerTest, PerClassGivesKOfEveryClassInClassOrder) {
  const std::vector<int> labels = Labels();
  auto s = SampleSupport(labels, 10, {4, ShotUnit::kPerClass, 1});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 40u);
  for (size_t k = 0; k < s->size(); ++k) EXPECT_EQ(labels[(*s)[k]], static_cast<int>(k / 4));
  EXPECT_EQ(std::set<int64_t>(s->begin(), s->end()).size(), 40u);  // no repeats
}

TEST(SamplerTest, TotalGivesKDistinctExamples) {
  const std::vector<int> labels = Labels();
  auto s = SampleSupport(labels, 10, {7, ShotUnit::kTotal, 1});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 7u);
  EXPECT_EQ(std::set<int64_t>(s->begin(), s->end()).size(), 7u);
  for (int64_t i : *s) EXPECT_LT(i, 500);
}

TEST(SamplerTest, DrivenByDataSeedOnlyAndNested) {
  const std::vector<int> labels = Labels();
  for (ShotUnit unit : {ShotUnit::kPerClass, ShotUnit::kTotal}) {
    auto a = SampleSupport(labels, 10, {8, unit, 3});
    auto b = SampleSupport(labels, 10, {8, unit, 3});
    auto c = SampleSupport(labels, 10, {8, unit, 4});
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(*a, *b);  // every method with data seed 3 gets this exact set
    EXPECT_NE(*a, *c);
    auto small = SampleSupport(labels, 10, {2, unit, 3});
    ASSERT_TRUE(small.ok());
    const std::set<int64_t> big(a->begin(), a->end());
    for (int64_t i : *small) EXPECT_TRUE(big.count(i)) << "2-shot set not inside 8-shot set";
  }
  auto zero = SampleSupport(labels, 10, {0, ShotUnit::kPerClass, 1});
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->empty());
}

TEST(SamplerTest, ErrorsNameTheProblem) {
  const std::vector<int> labels = Labels(3);
  auto too_many = SampleSupport(labels, 10, {4, ShotUnit::kPerClass, 0});
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("class 0 has only 3"), std::string::npos);
  auto too_many_total = SampleSupport(labels, 10, {31, ShotUnit::kTotal, 0});
  ASSERT_FALSE(too_many_total.ok());
  EXPECT_NE(too_many_total.status().message().find("pool has 30"), std::string::npos);
  auto negative = SampleSupport(labels, 10, {-1, ShotUnit::kTotal, 0});
  EXPECT_FALSE(negative.ok());
  auto bad_label = SampleSupport({0, 1, 12}, 10, {1, ShotUnit::kTotal, 0});
  ASSERT_FALSE(bad_label.ok());
  EXPECT_NE(bad_label.status().message().find("item 2 is 12"), std::string::npos);
}

TEST(SamplerTest, EvaluationSubsetIsFixedBalancedAndSorted) {
  const std::vector<int> labels = Labels(1000);
  const std::vector<int64_t> subset = EvaluationSubset(labels, 10);
  ASSERT_EQ(subset.size(), 2000u);
  EXPECT_TRUE(std::is_sorted(subset.begin(), subset.end()));
  std::vector<int> per_class(10, 0);
  for (int64_t i : subset) ++per_class[labels[i]];
  for (int c : per_class) EXPECT_EQ(c, 200);
  EXPECT_EQ(subset, EvaluationSubset(labels, 10));
  EXPECT_NE(subset, EvaluationSubset(labels, 10, 2000, kEvalSeed + 1));
  EXPECT_EQ(EvaluationSubset(Labels(5), 10).size(), 50u);  // pool smaller than count: all
  // Unbalanced pools: as equal as possible.
  std::vector<int> skewed(100, 0);
  skewed.insert(skewed.end(), 3, 1);
  const auto s = EvaluationSubset(skewed, 2, 10);
  EXPECT_EQ(std::count_if(s.begin(), s.end(), [&](int64_t i) { return skewed[i] == 1; }), 3);
}

}  // namespace
}  // namespace chromatune::datasets
