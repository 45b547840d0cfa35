#include "experiments/models/layers.h"

#include <cmath>
#include <limits>
#include <string>

namespace chromatune::models {

TransformerBlockImpl::TransformerBlockImpl(int64_t width, int64_t heads) : heads_(heads) {
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  qkv_ = register_module("qkv", torch::nn::Linear(width, 3 * width));
  proj_ = register_module("proj", torch::nn::Linear(width, width));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  fc1_ = register_module("fc1", torch::nn::Linear(width, 4 * width));
  fc2_ = register_module("fc2", torch::nn::Linear(4 * width, width));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t b = x.size(0), n = x.size(1), e = x.size(2);
  const int64_t dh = e / heads_;
  // [B, N, 3E] -> [3, B, H, N, Dh]
  auto qkv = qkv_->forward(ln1_->forward(x)).view({b, n, 3, heads_, dh}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(dh)));
  auto att = torch::matmul(q, qkv[1].transpose(-2, -1));
  if (mask.defined()) att = att + mask;
  att = torch::softmax(att, -1);
  auto y = torch::matmul(att, qkv[2]).transpose(1, 2).reshape({b, n, e});
  auto h = x + proj_->forward(y);
  return h + fc2_->forward(torch::gelu(fc1_->forward(ln2_->forward(h))));
}

ConvStemImpl::ConvStemImpl(const std::vector<int64_t>& widths) {
  int64_t in = 3;
  for (size_t i = 0; i < widths.size(); ++i) {
    auto opts = torch::nn::Conv2dOptions(in, widths[i], 3).padding(1).stride(i == 0 ? 1 : 2);
    convs_.push_back(register_module("conv" + std::to_string(i), torch::nn::Conv2d(opts)));
    in = widths[i];
  }
}

torch::Tensor ConvStemImpl::forward(const torch::Tensor& images) {
  auto x = (images - 0.5) * 4.0;
  for (size_t i = 0; i < convs_.size(); ++i) {
    x = convs_[i]->forward(x);
    if (i + 1 < convs_.size()) x = torch::gelu(x);
  }
  return x.flatten(2).transpose(1, 2);  // [B, C, h, w] -> [B, h*w, C]
}

torch::Tensor CausalMask(int64_t n, torch::Device device) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  return torch::full({n, n}, -std::numeric_limits<float>::infinity(), opts).triu(1);
}

void CopyState(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters(true);
  auto dst = to.named_parameters(true);
  TORCH_CHECK(src.size() == dst.size(), "CopyState: parameter count differs");
  for (const auto& item : src) {
    torch::Tensor* d = dst.find(item.key());
    TORCH_CHECK(d != nullptr, "CopyState: missing parameter ", item.key());
    d->copy_(item.value());
  }
  auto src_buffers = from.named_buffers(true);
  auto dst_buffers = to.named_buffers(true);
  for (const auto& item : src_buffers) {
    torch::Tensor* d = dst_buffers.find(item.key());
    TORCH_CHECK(d != nullptr, "CopyState: missing buffer ", item.key());
    d->copy_(item.value());
  }
}

}  // namespace chromatune::models
