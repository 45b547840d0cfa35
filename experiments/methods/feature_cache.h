// FeatureCache: frozen image features of one backbone, kept across the trials of a worker
// process so that a method whose image tower is frozen never re-encodes the same pixels.
//
// Keys name pixels exactly (dataset, split or pool, item id, and the view: crop size, marker
// colours and alpha, ...); the values are L2-normalised feature rows [D] on the CPU. Bounded
// by max_rows (oldest insertions evicted first) so a long sweep cannot grow it without
// limit. Not thread-safe (one trial at a time per runner).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/torch.h>

namespace chromatune::methods {

class FeatureCache {
 public:
  explicit FeatureCache(int64_t max_rows = 2'000'000) : max_rows_(max_rows) {}

  // Features [N, D] for `keys`; rows missing from the cache are computed by `encode`, which
  // receives the positions (into keys) to encode and returns their features [M, D] in that
  // order, then stored.
  torch::Tensor Get(const std::vector<std::string>& keys,
                    const std::function<torch::Tensor(const std::vector<int64_t>&)>& encode);

  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  int64_t max_rows_;
  std::unordered_map<std::string, torch::Tensor> rows_;
  std::deque<std::string> order_;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace chromatune::methods
