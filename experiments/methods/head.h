// Head: how normalised image and text features become logits.
//   Cosine    CLIP: logit_scale * <image, text> (the backbone's frozen temperature).
//   Linear    a linear classifier W image + b over C classes, ignoring text (linear probe:
//             W initialised to zero; finetune: W = logit_scale * text features of the
//             classes, i.e. the zero-shot classifier, or N(0, 0.01) with head "random").
//   Bilinear  logit_scale * <normalise(image W), text> with W (D x D) initialised to the
//             identity (linear probe for grounding, where classes are open expressions).
#pragma once

#include <memory>
#include <vector>

#include <torch/torch.h>

namespace chromatune::methods {

class Head {
 public:
  virtual ~Head() = default;
  // image [N, D], text [C, D] -> [N, C].
  virtual torch::Tensor Classify(const torch::Tensor& image, const torch::Tensor& text) = 0;
  // Row-wise pairs image [P, D], text [P, D] -> [P] (grounding). Only Cosine and Bilinear
  // heads score pairs; calling it on a Linear head is a bug (TORCH_CHECK).
  virtual torch::Tensor Pair(const torch::Tensor& image, const torch::Tensor& text);
  virtual std::vector<torch::Tensor> Parameters() { return {}; }
};

std::unique_ptr<Head> MakeCosineHead(torch::Tensor logit_scale);
// weight [C, D] (copied, trained), bias zero.
std::unique_ptr<Head> MakeLinearHead(const torch::Tensor& weight);
std::unique_ptr<Head> MakeBilinearHead(int64_t dim, torch::Tensor logit_scale);

}  // namespace chromatune::methods
