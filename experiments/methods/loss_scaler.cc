#include "experiments/methods/loss_scaler.h"

#include <algorithm>

namespace chromatune::methods {

LossScaler::LossScaler(bool enabled, double initial_scale, int64_t growth_interval)
    : enabled_(enabled),
      scale_(initial_scale),
      growth_interval_(std::max<int64_t>(1, growth_interval)) {}

bool LossScaler::UnscaleAndCheck(const std::vector<torch::Tensor>& params) {
  if (!enabled_) return true;
  torch::NoGradGuard no_grad;
  bool finite = true;
  for (const auto& p : params) {
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.div_(scale_);
    if (finite && !torch::isfinite(g).all().item<bool>()) finite = false;
  }
  return finite;
}

void LossScaler::Update(bool finite) {
  if (!enabled_) return;
  if (!finite) {
    ++skipped_;
    good_steps_ = 0;
    // Never below 1: a gradient that overflows unscaled is a divergence, reported as such.
    scale_ = std::max(1.0, scale_ / 2.0);
    return;
  }
  if (++good_steps_ >= growth_interval_) {
    good_steps_ = 0;
    scale_ *= 2.0;
  }
}

}  // namespace chromatune::methods
