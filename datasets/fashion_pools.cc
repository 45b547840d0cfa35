#include "datasets/fashion_pools.h"

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
  // Two passes in index order, no sort: the compositor calls this for every batch.
  std::array<size_t, kFashionClasses> count{}, seen{};
  for (uint8_t l : labels) ++count[l % kFashionClasses];
  FashionTrainPools pools;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int c = labels[i] % kFashionClasses;
    const size_t n = count[c], support = n / 6, val = n / 30;
    const size_t rank = seen[c]++;  // position among the class's items, in index order
    auto* pool = rank < n - support - val ? &pools.pretrain
                 : rank < n - support     ? &pools.val
                                          : &pools.support;
    pool->push_back(static_cast<int64_t>(i));
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
