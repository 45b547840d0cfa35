#include "experiments/sweep/param_sampler.h"

#include <cmath>

namespace chromatune {

uint64_t ParamSampler::NextU64() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double ParamSampler::NextUnit() {
  return static_cast<double>(NextU64() >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t ParamSampler::NextIndex(uint64_t n) {
  // Rejection sampling: no modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x = NextU64();
  while (x >= limit) x = NextU64();
  return x % n;
}

nlohmann::json ParamSampler::Draw(const ParamSetting& setting) {
  switch (setting.kind) {
    case ParamSetting::Kind::kFixed:
      return setting.values.front();
    case ParamSetting::Kind::kSweep:
      return setting.values[NextIndex(setting.values.size())];
    case ParamSetting::Kind::kPerShot:
      return nullptr;
    case ParamSetting::Kind::kDistribution:
      break;
  }
  switch (setting.distribution) {
    case DistributionKind::kChoice:
      return setting.values[NextIndex(setting.values.size())];
    case DistributionKind::kUniform:
      return setting.low + NextUnit() * (setting.high - setting.low);
    case DistributionKind::kLogUniform: {
      const double lo = std::log(setting.low);
      const double hi = std::log(setting.high);
      // Clamped: exp(log(x)) may land a rounding error outside [low, high].
      return std::fmin(setting.high, std::fmax(setting.low, std::exp(lo + NextUnit() * (hi - lo))));
    }
    case DistributionKind::kIntUniform: {
      const auto lo = static_cast<int64_t>(setting.low);
      const auto hi = static_cast<int64_t>(setting.high);
      return lo + static_cast<int64_t>(NextIndex(static_cast<uint64_t>(hi - lo) + 1));
    }
  }
  return nullptr;
}

uint64_t MethodSamplerSeed(uint64_t search_seed, int method_index) {
  ParamSampler mix(search_seed ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(method_index + 1)));
  return mix.NextU64();
}

}  // namespace chromatune
