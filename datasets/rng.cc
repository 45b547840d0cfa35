#include "datasets/rng.h"

namespace chromatune::datasets {

namespace {
// SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijection with good avalanche.
uint64_t Finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
}  // namespace

uint64_t MixSeed(uint64_t a, uint64_t b) {
  return Finalize(Finalize(a + kGolden) ^ (b * kGolden + 1));
}

uint64_t Rng::Next() {
  state_ += kGolden;
  return Finalize(state_);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

float Rng::UniformFloat(float lo, float hi) {
  return lo + static_cast<float>(Uniform()) * (hi - lo);
}

int64_t Rng::UniformInt(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  if (span == 0) return static_cast<int64_t>(Next());  // the full 64-bit range
  // Rejection: accept draws below the largest multiple of span.
  uint64_t limit = UINT64_MAX - (UINT64_MAX % span + 1) % span;
  uint64_t x;
  do {
    x = Next();
  } while (x > limit);
  return lo + static_cast<int64_t>(x % span);
}

}  // namespace chromatune::datasets
