// Seeded draws of parameter values for random search and for distributions in grid search.
//
// The generator is SplitMix64, and every transform below is written out (not <random>'s
// distributions, whose output differs between standard libraries), so a plan is the same
// on every machine.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "experiments/sweep/spec.h"

namespace chromatune {

class ParamSampler {
 public:
  explicit ParamSampler(uint64_t seed) : state_(seed) {}

  uint64_t NextU64();
  // Uniform in [0, 1), 53 random bits.
  double NextUnit();
  // Uniform integer in [0, n); n > 0.
  uint64_t NextIndex(uint64_t n);

  // One value of `setting`: a distribution draws (choice: one of its values; uniform:
  // low + u * (high - low); log_uniform: exp of uniform in [log low, log high]; int_uniform:
  // an integer in [low, high], both ends included), a sweep list draws one of its values
  // uniformly (random search), a fixed setting returns its value. Not for per-shot maps.
  nlohmann::json Draw(const ParamSetting& setting);

 private:
  uint64_t state_;
};

// The seed of method `method_index`'s sampler, from the sweep's search.seed, so that adding
// or changing one method leaves the draws of the others as they were.
uint64_t MethodSamplerSeed(uint64_t search_seed, int method_index);

}  // namespace chromatune
