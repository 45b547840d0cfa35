#include "datasets/fashion_pools.h"

#include <algorithm>
#include <array>

namespace chromatune::datasets {

const char* FashionPoolName(FashionPool pool) {
  switch (pool) {
    case FashionPool::kPretrain:
      return "pretrain";
    case FashionPool::kVal:
      return "val";
    case FashionPool::kSupport:
      return "support";
  }
  return "?";
}

const std::vector<int64_t>& FashionTrainPools::Of(FashionPool pool) const {
  switch (pool) {
    case FashionPool::kVal:
      return val;
    case FashionPool::kSupport:
      return support;
    case FashionPool::kPretrain:
      break;
  }
  return pretrain;
}

FashionTrainPools MakeFashionTrainPools(const std::vector<uint8_t>& labels) {
  std::array<std::vector<int64_t>, kFashionClasses> by_class;
  for (size_t i = 0; i < labels.size(); ++i) {
    by_class[labels[i] % kFashionClasses].push_back(static_cast<int64_t>(i));
  }
  FashionTrainPools pools;
  for (const auto& items : by_class) {
    const size_t n = items.size(), support = n / 6, val = n / 30;
    const size_t pretrain = n - support - val;
    pools.pretrain.insert(pools.pretrain.end(), items.begin(), items.begin() + pretrain);
    pools.val.insert(pools.val.end(), items.begin() + pretrain, items.begin() + pretrain + val);
    pools.support.insert(pools.support.end(), items.begin() + pretrain + val, items.end());
  }
  for (auto* pool : {&pools.pretrain, &pools.val, &pools.support}) {
    std::sort(pool->begin(), pool->end());
  }
  return pools;
}

std::vector<int> PoolLabels(const FashionMnist& split, const std::vector<int64_t>& indices) {
  std::vector<int> labels;
  labels.reserve(indices.size());
  for (int64_t i : indices) labels.push_back(split.labels[static_cast<size_t>(i)]);
  return labels;
}

}  // namespace chromatune::datasets
