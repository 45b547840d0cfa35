#include "experiments/methods/feature_cache.h"

#include <gtest/gtest.h>

namespace chromatune::methods {
namespace {

TEST(FeatureCacheTest, EncodesOnlyMissingKeysOnce) {
  FeatureCache cache;
  int64_t encoded = 0;
  auto encode = [&](const std::vector<int64_t>& positions) {
    encoded += static_cast<int64_t>(positions.size());
    std::vector<float> v;
    for (int64_t p : positions) v.push_back(static_cast<float>(p));
    return torch::tensor(v).unsqueeze(1);
  };
  torch::Tensor a = cache.Get({"x", "y", "x"}, encode);
  EXPECT_EQ(encoded, 2);  // the duplicate "x" is encoded once
  EXPECT_EQ(a.size(0), 3);
  EXPECT_FLOAT_EQ(a[2][0].item<float>(), a[0][0].item<float>());
  torch::Tensor b = cache.Get({"y", "z"}, encode);
  EXPECT_EQ(encoded, 3);
  EXPECT_FLOAT_EQ(b[0][0].item<float>(), a[1][0].item<float>());
  EXPECT_EQ(cache.size(), 3);
  EXPECT_EQ(cache.hits(), 2);  // the duplicate x, then y
  EXPECT_EQ(cache.misses(), 3);
}

TEST(FeatureCacheTest, EvictsOldestBeyondItsBound) {
  FeatureCache cache(2);
  auto encode = [](const std::vector<int64_t>& positions) {
    return torch::zeros({static_cast<int64_t>(positions.size()), 1});
  };
  cache.Get({"a", "b", "c"}, encode);
  EXPECT_EQ(cache.size(), 2);
  const int64_t misses = cache.misses();
  cache.Get({"a"}, encode);  // evicted, encoded again
  EXPECT_EQ(cache.misses(), misses + 1);
}

}  // namespace
}  // namespace chromatune::methods
