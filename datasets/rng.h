// Rng: the one random source of ct_datasets, deterministic across compilers and platforms
// (std:: distributions are implementation-defined, so none are used anywhere in datasets/).
//
// SplitMix64 stream; UniformInt uses rejection so it is unbiased. Not thread-safe: one Rng
// per thread or per generated example (seeded with MixSeed), which also keeps every example a
// pure function of its seeds.
#pragma once

#include <cstdint>
#include <vector>

namespace chromatune::datasets {

// A well-mixed 64-bit combination of two values (order matters); chain for more.
uint64_t MixSeed(uint64_t a, uint64_t b);
inline uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c) { return MixSeed(MixSeed(a, b), c); }

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, 1) with 53 random bits.
  double Uniform();
  // Uniform float in [lo, hi).
  float UniformFloat(float lo, float hi);
  // Uniform integer in [lo, hi] (inclusive); requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // True with probability p.
  bool Bernoulli(double p) { return Uniform() < p; }
  // Fisher-Yates shuffle driven by this stream.
  template <typename T>
  void Shuffle(std::vector<T>* v) {
    for (int64_t i = static_cast<int64_t>(v->size()) - 1; i > 0; --i) {
      int64_t j = UniformInt(0, i);
      std::swap((*v)[i], (*v)[j]);
    }
  }

 private:
  uint64_t state_;
};

}  // namespace chromatune::datasets
