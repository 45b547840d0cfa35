// LossScaler: dynamic loss scaling for fp16 training (experiments/models/precision.h), the
// rule torch.cuda.amp.GradScaler applies: the loss is multiplied by scale() before backward,
// so small fp16 gradients do not flush to zero; once the gradients are in (reduced across
// ranks, so every rank sees the same values and decides the same), UnscaleAndCheck divides
// them by the scale and says whether all are finite. A step with a non-finite gradient is
// skipped and the scale halved; after growth_interval finite steps in a row it doubles.
// Scales are powers of two, so scaling and unscaling are exact in float32.
//
// Disabled (fp32, bf16): scale() is 1, UnscaleAndCheck touches nothing and says true.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace chromatune::methods {

class LossScaler {
 public:
  explicit LossScaler(bool enabled, double initial_scale = 65536.0, int64_t growth_interval = 2000);

  bool enabled() const { return enabled_; }
  double scale() const { return enabled_ ? scale_ : 1.0; }
  // Divides every defined gradient of `params` by scale(); true when all are finite.
  bool UnscaleAndCheck(const std::vector<torch::Tensor>& params);
  // After a step: `finite` is UnscaleAndCheck's answer (false: the step was skipped).
  void Update(bool finite);
  int64_t skipped_steps() const { return skipped_; }

 private:
  bool enabled_;
  double scale_;
  int64_t growth_interval_;
  int64_t good_steps_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace chromatune::methods
