#include "experiments/methods/feature_cache.h"

namespace chromatune::methods {

torch::Tensor FeatureCache::Get(
    const std::vector<std::string>& keys,
    const std::function<torch::Tensor(const std::vector<int64_t>&)>& encode) {
  std::vector<int64_t> missing;
  std::unordered_map<std::string, int64_t> first_missing;  // duplicate keys encode once
  for (size_t i = 0; i < keys.size(); ++i) {
    if (rows_.count(keys[i]) || first_missing.count(keys[i])) continue;
    first_missing[keys[i]] = static_cast<int64_t>(missing.size());
    missing.push_back(static_cast<int64_t>(i));
  }
  hits_ += static_cast<int64_t>(keys.size() - missing.size());
  misses_ += static_cast<int64_t>(missing.size());
  std::unordered_map<std::string, torch::Tensor> fresh;
  if (!missing.empty()) {
    torch::Tensor feats = encode(missing).detach().to(torch::kCPU).contiguous();
    for (size_t m = 0; m < missing.size(); ++m) {
      const std::string& key = keys[missing[m]];
      fresh[key] = feats[static_cast<int64_t>(m)];
      rows_[key] = fresh[key];
      order_.push_back(key);
    }
  }
  std::vector<torch::Tensor> out;
  out.reserve(keys.size());
  for (const auto& k : keys) {
    auto it = fresh.find(k);
    out.push_back(it != fresh.end() ? it->second : rows_.at(k));
  }
  while (static_cast<int64_t>(order_.size()) > max_rows_) {
    rows_.erase(order_.front());
    order_.pop_front();
  }
  return torch::stack(out);
}

}  // namespace chromatune::methods
