#include "worker/backoff.h"

#include <algorithm>

namespace chromatune::worker {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(initial), max_(max), rng_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::Next() {
  const int shift = std::min(attempts_, 30);
  ++attempts_;
  const int64_t base = std::min<int64_t>(initial_.count() << shift, max_.count());
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(base * jitter(rng_))));
}

}  // namespace chromatune::worker
