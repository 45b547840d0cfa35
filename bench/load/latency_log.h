// LatencyLog: the latencies of one kind of exchange (lease, heartbeat, complete) in ms, and
// their percentiles. Not thread-safe (the load generator runs on one thread).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chromatune::bench {

class LatencyLog {
 public:
  void Add(double ms) { ms_.push_back(ms); }
  size_t count() const { return ms_.size(); }
  // The q-quantile (0..1) by nearest rank; 0 when empty.
  double Quantile(double q) const;
  // {"n", "p50_ms", "p99_ms", "max_ms"}
  nlohmann::json Summary() const;
  void Clear() { ms_.clear(); }

 private:
  mutable std::vector<double> ms_;
};

}  // namespace chromatune::bench
