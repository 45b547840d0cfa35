// Building blocks shared by the builtin backbones: a pre-LayerNorm transformer block with
// its own attention (LibTorch 1.13 has no fused scaled-dot-product attention; the explicit
// matmul/softmax form is as fast here and takes an additive mask), and the convolutional
// stem that turns pixels into patch tokens.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace chromatune::models {

// x -> x + Attn(LN(x), mask); x -> x + MLP(LN(x)) with a 4x GELU MLP.
// `mask` is additive and broadcast to [B, heads, N, N] (e.g. [N, N] causal, or [B, 1, 1, N]
// key padding); undefined means full attention.
class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

 private:
  int64_t heads_;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// 3x3 convolutions with GELU between them; the first has stride 1, the others stride 2.
// [B, 3, H, W] in 0..1 -> patch tokens [B, N, widths.back()] with N = (H / 2^(n-1))^2,
// row-major over the patch grid. Pixels are centred ((x - 0.5) / 0.25) first.
class ConvStemImpl : public torch::nn::Module {
 public:
  explicit ConvStemImpl(const std::vector<int64_t>& widths);
  torch::Tensor forward(const torch::Tensor& images);

 private:
  std::vector<torch::nn::Conv2d> convs_;
};
TORCH_MODULE(ConvStem);

// Additive causal mask [n, n]: 0 on and below the diagonal, -inf above.
torch::Tensor CausalMask(int64_t n, torch::Device device);

// Copies every parameter and buffer of `from` into `to` (same architecture, asserted by
// name and shape). Used by Clone().
void CopyState(const torch::nn::Module& from, torch::nn::Module& to);

}  // namespace chromatune::models
