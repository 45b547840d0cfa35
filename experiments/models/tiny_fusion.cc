#include "experiments/models/tiny_fusion.h"

#include <limits>

namespace chromatune::models {

TinyFusionNetImpl::TinyFusionNetImpl(const PretrainSpec& spec, int64_t vocab_size) {
  const int64_t e = spec.text_width;
  const int64_t grid = spec.image_size >> (spec.conv_widths.size() - 1);
  stem_ = register_module("stem", ConvStem(spec.conv_widths));
  image_proj_ = register_module("image_proj", torch::nn::Linear(spec.conv_widths.back(), e));
  image_pos_ = register_parameter("image_pos", torch::randn({1, grid * grid, e}) * 0.02);
  token_embedding_ = register_module("token_embedding", torch::nn::Embedding(vocab_size, e));
  {
    torch::NoGradGuard no_grad;
    token_embedding_->weight.normal_(0, 0.02);
  }
  text_pos_ = register_parameter("text_pos", torch::randn({1, spec.context_length, e}) * 0.01);
  type_embedding_ = register_parameter("type_embedding", torch::randn({2, e}) * 0.02);
  for (int64_t i = 0; i < spec.fusion_layers; ++i) {
    blocks_.push_back(
        register_module("block" + std::to_string(i), TransformerBlock(e, spec.text_heads)));
  }
  ln_ = register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({e})));
  mlm_ln_ = register_module("mlm_ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({e})));
  mlm_head_ = register_module("mlm_head", torch::nn::Linear(e, vocab_size));
  itm_head_ = register_module("itm_head", torch::nn::Linear(e, 1));
}

torch::Tensor TinyFusionNetImpl::TokenEmbedding(const torch::Tensor& ids) {
  return token_embedding_->forward(ids);
}

torch::Tensor TinyFusionNetImpl::Hidden(const torch::Tensor& images, const torch::Tensor& embeds,
                                        const torch::Tensor& ids) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "TinyFusion: images must be [B, 3, H, W]");
  TORCH_CHECK(embeds.dim() == 3 && embeds.size(1) <= text_pos_.size(1),
              "TinyFusion: text embeddings must be [B, T<=", text_pos_.size(1), ", E]");
  TORCH_CHECK(ids.dim() == 2 && ids.size(0) == embeds.size(0) && ids.size(1) == embeds.size(1),
              "TinyFusion: ids must be [B, T] like the embeddings");
  const int64_t t = embeds.size(1);
  auto text = embeds + text_pos_.narrow(1, 0, t) + type_embedding_[0];
  auto patches = image_proj_->forward(stem_->forward(images));
  TORCH_CHECK(patches.size(1) == image_pos_.size(1), "TinyFusion: wrong image size");
  auto image = patches + image_pos_ + type_embedding_[1];
  auto x = torch::cat({text, image}, 1);
  // Key padding: [PAD] text tokens are invisible to every query.
  auto pad = ids.eq(Tokenizer::kPad);
  auto keys = torch::cat({pad, torch::zeros({ids.size(0), patches.size(1)}, pad.options())}, 1);
  auto mask = torch::zeros(keys.sizes(), x.options())
                  .masked_fill(keys, -std::numeric_limits<float>::infinity())
                  .view({ids.size(0), 1, 1, keys.size(1)});
  for (auto& block : blocks_) x = block->forward(x, mask);
  return ln_->forward(x);
}

torch::Tensor TinyFusionNetImpl::MlmLogits(const torch::Tensor& hidden,
                                           const torch::Tensor& positions) {
  auto idx = positions.unsqueeze(-1).expand({positions.size(0), positions.size(1), hidden.size(2)});
  auto picked = hidden.gather(1, idx);
  return mlm_head_->forward(mlm_ln_->forward(picked));
}

torch::Tensor TinyFusionNetImpl::ItmLogit(const torch::Tensor& hidden) {
  return itm_head_->forward(hidden.select(1, 0)).squeeze(-1);
}

ParameterGroups TinyFusionNetImpl::Groups() {
  ParameterGroups g;
  std::vector<torch::Tensor> stem = stem_->parameters();
  for (auto& p : image_proj_->parameters()) stem.push_back(p);
  stem.push_back(image_pos_);
  g.image_blocks.push_back(stem);
  for (auto& b : blocks_) g.image_blocks.push_back(b->parameters());
  std::vector<torch::Tensor> head;
  for (auto* m : {&ln_, &mlm_ln_}) {
    for (auto& p : (*m)->parameters()) head.push_back(p);
  }
  for (auto* m : {&mlm_head_, &itm_head_}) {
    for (auto& p : (*m)->parameters()) head.push_back(p);
  }
  g.image_blocks.push_back(head);
  std::vector<torch::Tensor> emb = token_embedding_->parameters();
  emb.push_back(text_pos_);
  emb.push_back(type_embedding_);
  g.text_blocks.push_back(emb);
  return g;
}

TinyFusion::TinyFusion(PretrainSpec spec, Tokenizer tokenizer)
    : spec_(std::move(spec)),
      tokenizer_(std::move(tokenizer)),
      net_(TinyFusionNet(spec_, tokenizer_.vocab_size())) {}

torch::Tensor TinyFusion::TokenEmbedding(const torch::Tensor& ids) {
  return net_->TokenEmbedding(ids.to(device_, torch::kInt64));
}

torch::Tensor TinyFusion::MaskLogitsFromEmbeddings(const torch::Tensor& images,
                                                   const torch::Tensor& embeds,
                                                   const torch::Tensor& ids,
                                                   const torch::Tensor& mask_index) {
  auto hidden = net_->Hidden(images.to(device_, torch::kFloat32), embeds.to(device_),
                             ids.to(device_, torch::kInt64));
  auto pos = mask_index.to(device_, torch::kInt64).view({-1, 1});
  return net_->MlmLogits(hidden, pos).squeeze(1);
}

torch::Tensor TinyFusion::MatchLogit(const torch::Tensor& images, const torch::Tensor& ids) {
  auto ids_d = ids.to(device_, torch::kInt64);
  auto hidden =
      net_->Hidden(images.to(device_, torch::kFloat32), net_->TokenEmbedding(ids_d), ids_d);
  return net_->ItmLogit(hidden);
}

void TinyFusion::To(torch::Device device) {
  net_->to(device);
  device_ = device;
}

std::shared_ptr<FusionModel> TinyFusion::Clone() const {
  auto copy = std::make_shared<TinyFusion>(spec_, tokenizer_);
  copy->To(device_);
  CopyState(*net_, *copy->net_);
  copy->net_->train(net_->is_training());
  return copy;
}

}  // namespace chromatune::models
