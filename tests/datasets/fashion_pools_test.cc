// Fashion-MNIST's train split in three pools: nothing few-shot or validation sees was in
// pretraining, and the test split stays for reporting (datasets/fashion_pools.h).
#include "datasets/fashion_pools.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "datasets/compositor.h"

namespace chromatune::datasets {
namespace {

std::vector<int> PerClass(const FashionMnist& train, const std::vector<int64_t>& pool) {
  std::vector<int> counts(kFashionClasses, 0);
  for (int l : PoolLabels(train, pool)) ++counts[l];
  return counts;
}

TEST(FashionPoolsTest, ThreeDisjointBalancedPoolsCoverTheTrainSplit) {
  auto train = LoadFashionMnist(FashionSplit::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  const FashionTrainPools pools = MakeFashionTrainPools((*train)->labels);
  EXPECT_EQ(pools.pretrain.size(), 48000u);
  EXPECT_EQ(pools.val.size(), 2000u);
  EXPECT_EQ(pools.support.size(), 10000u);
  EXPECT_EQ(PerClass(**train, pools.val), std::vector<int>(kFashionClasses, 200));
  EXPECT_EQ(PerClass(**train, pools.support), std::vector<int>(kFashionClasses, 1000));
  std::set<int64_t> all;
  for (auto pool : {FashionPool::kPretrain, FashionPool::kVal, FashionPool::kSupport}) {
    const auto& p = pools.Of(pool);
    EXPECT_TRUE(std::is_sorted(p.begin(), p.end())) << FashionPoolName(pool);
    all.insert(p.begin(), p.end());
  }
  EXPECT_EQ(all.size(), 60000u);  // disjoint and complete
}

TEST(FashionPoolsTest, SmallSplitsKeepEveryClassInPretraining) {
  // 7 items of class 0 and 31 of class 1: support n/6, val n/30, the rest pretrain.
  std::vector<uint8_t> labels;
  for (int i = 0; i < 7; ++i) labels.push_back(0);
  for (int i = 0; i < 31; ++i) labels.push_back(1);
  const FashionTrainPools pools = MakeFashionTrainPools(labels);
  // Class 0 (indices 0..6): support {6}, no val. Class 1 (7..37): support its last 5, val
  // the one before them.
  EXPECT_EQ(pools.support, (std::vector<int64_t>{6, 33, 34, 35, 36, 37}));
  EXPECT_EQ(pools.val, (std::vector<int64_t>{32}));
  EXPECT_EQ(pools.pretrain.size(), 38u - 7u);
}

TEST(FashionPoolsTest, PretrainingScenesUseThePretrainingPoolOnly) {
  auto train = LoadFashionMnist(FashionSplit::kTrain);
  ASSERT_TRUE(train.ok());
  const FashionTrainPools pools = MakeFashionTrainPools((*train)->labels);
  const std::set<int64_t> pretrain(pools.pretrain.begin(), pools.pretrain.end());
  CompositorOptions o;
  int items = 0;
  for (int64_t b = 0; b < 20; ++b) {
    for (const auto& ex : ComposeCaptionBatch(**train, 7, b, 64, o).examples) {
      for (const auto& item : ex.items) {
        ++items;
        EXPECT_TRUE(pretrain.count(item.source_index)) << "train item " << item.source_index;
      }
    }
  }
  EXPECT_GT(items, 2000);  // ~17% of draws would hit another pool if the rule were off
}

}  // namespace
}  // namespace chromatune::datasets
