// AllReduceGradients: the plain synchronous fallback to GradientReducer, for comparison
// (bench/allreduce) and for code that cannot register hooks (e.g. gradients produced by
// torch::autograd::grad).
//
// After backward on every rank: packs the parameters' gradients into the same buckets as
// GradientReducer (an undefined gradient counts as zeros), all-reduces the buckets one after
// the other with blocking calls, and writes the mean over ranks back into each .grad
// (defining it where it was undefined). Nothing overlaps with backward.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <vector>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/ddp/bucket_plan.h"

namespace chromatune::ddp {

// Parameters as for GradientReducer (those without requires_grad are skipped). A collective:
// every rank calls it with the same parameter shapes.
Status AllReduceGradients(const std::vector<torch::Tensor>& params, Communicator* comm,
                          size_t bucket_bytes = kDefaultBucketBytes);

}  // namespace chromatune::ddp
