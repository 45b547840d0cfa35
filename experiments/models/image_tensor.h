// Conversion of datasets::Image (8-bit HWC RGB) to the float [B, 3, H, W] 0..1 tensors the
// backbones take.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "datasets/image.h"

namespace chromatune::models {

// All images must be RGB of the same size (checked). CPU float32 tensor.
torch::Tensor ImagesToTensor(const std::vector<datasets::Image>& images);
// Same for pointers (no copies of the images).
torch::Tensor ImagesToTensor(const std::vector<const datasets::Image*>& images);

}  // namespace chromatune::models
