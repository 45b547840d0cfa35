// Backoff: capped exponential delays with jitter for reconnecting to the coordinator, so
// that many worker groups returning after a coordinator restart do not arrive in step.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace chromatune::worker {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);
  // The next delay: initial * 2^n (n = calls since Reset), at most max, times a random
  // factor in [0.5, 1].
  std::chrono::milliseconds Next();
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace chromatune::worker
