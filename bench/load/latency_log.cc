#include "bench/load/latency_log.h"

#include <algorithm>
#include <cmath>

namespace chromatune::bench {

double LatencyLog::Quantile(double q) const {
  if (ms_.empty()) return 0.0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ms_.size())));
  const size_t i = std::min(ms_.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(ms_.begin(), ms_.begin() + static_cast<std::ptrdiff_t>(i), ms_.end());
  return ms_[i];
}

nlohmann::json LatencyLog::Summary() const {
  const double max = ms_.empty() ? 0.0 : *std::max_element(ms_.begin(), ms_.end());
  return {
      {"n", ms_.size()}, {"p50_ms", Quantile(0.50)}, {"p99_ms", Quantile(0.99)}, {"max_ms", max}};
}

}  // namespace chromatune::bench
