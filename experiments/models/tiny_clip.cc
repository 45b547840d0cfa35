#include "experiments/models/tiny_clip.h"

#include <cmath>

namespace chromatune::models {
namespace {

void Append(std::vector<torch::Tensor>* out, const std::vector<torch::Tensor>& more) {
  out->insert(out->end(), more.begin(), more.end());
}

}  // namespace

TinyClipNetImpl::TinyClipNetImpl(const PretrainSpec& spec, int64_t vocab_size)
    : vision_width_(spec.conv_widths.back()) {
  const int64_t grid = spec.image_size >> (spec.conv_widths.size() - 1);
  stem_ = register_module("stem", ConvStem(spec.conv_widths));
  class_token_ = register_parameter("class_token", torch::randn({1, 1, vision_width_}) * 0.02);
  vision_pos_ =
      register_parameter("vision_pos", torch::randn({1, grid * grid + 1, vision_width_}) * 0.02);
  for (int64_t i = 0; i < spec.vision_layers; ++i) {
    vision_blocks_.push_back(register_module("vision_block" + std::to_string(i),
                                             TransformerBlock(vision_width_, spec.vision_heads)));
  }
  vision_ln_ = register_module("vision_ln",
                               torch::nn::LayerNorm(torch::nn::LayerNormOptions({vision_width_})));
  vision_proj_ = register_module(
      "vision_proj",
      torch::nn::Linear(torch::nn::LinearOptions(vision_width_, spec.embed_dim).bias(false)));

  token_embedding_ =
      register_module("token_embedding", torch::nn::Embedding(vocab_size, spec.text_width));
  {
    torch::NoGradGuard no_grad;
    token_embedding_->weight.normal_(0, 0.02);
  }
  text_pos_ = register_parameter("text_pos",
                                 torch::randn({1, spec.context_length, spec.text_width}) * 0.01);
  for (int64_t i = 0; i < spec.text_layers; ++i) {
    text_blocks_.push_back(register_module("text_block" + std::to_string(i),
                                           TransformerBlock(spec.text_width, spec.text_heads)));
  }
  text_ln_ = register_module("text_ln",
                             torch::nn::LayerNorm(torch::nn::LayerNormOptions({spec.text_width})));
  text_proj_ = register_module(
      "text_proj",
      torch::nn::Linear(torch::nn::LinearOptions(spec.text_width, spec.embed_dim).bias(false)));
  logit_scale_log = register_parameter("logit_scale", torch::full({}, std::log(1.0 / 0.07)));
}

torch::Tensor TinyClipNetImpl::EncodeImage(const torch::Tensor& images,
                                           const VisualPrompt& prompt) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "EncodeImage: images must be [B, 3, H, W]");
  auto x = stem_->forward(images);  // [B, N, E]
  const int64_t b = x.size(0);
  TORCH_CHECK(x.size(1) + 1 == vision_pos_.size(1), "EncodeImage: wrong image size");
  x = torch::cat({class_token_.expand({b, 1, vision_width_}), x}, 1) + vision_pos_;
  const bool deep = prompt.deep.defined();
  TORCH_CHECK(!(deep && prompt.shallow.defined()), "VisualPrompt: both shallow and deep set");
  int64_t prompt_len = 0;
  if (prompt.shallow.defined()) {
    TORCH_CHECK(prompt.shallow.dim() == 2 && prompt.shallow.size(1) == vision_width_,
                "VisualPrompt.shallow must be [L, ", vision_width_, "]");
    prompt_len = prompt.shallow.size(0);
    auto p = prompt.shallow.unsqueeze(0).expand({b, prompt_len, vision_width_});
    x = torch::cat({x.narrow(1, 0, 1), p, x.narrow(1, 1, x.size(1) - 1)}, 1);
  }
  if (deep) {
    TORCH_CHECK(prompt.deep.dim() == 3 && prompt.deep.size(0) == vision_layers() &&
                    prompt.deep.size(2) == vision_width_,
                "VisualPrompt.deep must be [", vision_layers(), ", L, ", vision_width_, "]");
  }
  for (size_t i = 0; i < vision_blocks_.size(); ++i) {
    if (deep) {
      const int64_t len = prompt.deep.size(1);
      auto p = prompt.deep[static_cast<int64_t>(i)].unsqueeze(0).expand({b, len, vision_width_});
      auto rest = x.narrow(1, 1 + prompt_len, x.size(1) - 1 - prompt_len);
      x = torch::cat({x.narrow(1, 0, 1), p, rest}, 1);
      prompt_len = len;
    }
    x = vision_blocks_[i]->forward(x);
  }
  return vision_proj_->forward(vision_ln_->forward(x.select(1, 0)));
}

torch::Tensor TinyClipNetImpl::TokenEmbedding(const torch::Tensor& ids) {
  return token_embedding_->forward(ids);
}

torch::Tensor TinyClipNetImpl::EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                                        const torch::Tensor& eos_index) {
  TORCH_CHECK(embeds.dim() == 3 && embeds.size(1) <= text_pos_.size(1),
              "EncodeTextFromEmbeddings: embeds must be [B, T<=", text_pos_.size(1), ", E]");
  const int64_t t = embeds.size(1);
  auto x = embeds + text_pos_.narrow(1, 0, t);
  auto mask = CausalMask(t, x.device());
  for (auto& block : text_blocks_) x = block->forward(x, mask);
  auto rows = torch::arange(x.size(0), eos_index.options().dtype(torch::kInt64));
  auto eos = x.index({rows, eos_index.to(torch::kInt64)});
  return text_proj_->forward(text_ln_->forward(eos));
}

ParameterGroups TinyClipNetImpl::Groups() {
  ParameterGroups g;
  std::vector<torch::Tensor> stem = stem_->parameters();
  stem.push_back(class_token_);
  stem.push_back(vision_pos_);
  g.image_blocks.push_back(stem);
  for (auto& b : vision_blocks_) g.image_blocks.push_back(b->parameters());
  std::vector<torch::Tensor> vhead = vision_ln_->parameters();
  Append(&vhead, vision_proj_->parameters());
  g.image_blocks.push_back(vhead);

  std::vector<torch::Tensor> emb = token_embedding_->parameters();
  emb.push_back(text_pos_);
  g.text_blocks.push_back(emb);
  for (auto& b : text_blocks_) g.text_blocks.push_back(b->parameters());
  std::vector<torch::Tensor> thead = text_ln_->parameters();
  Append(&thead, text_proj_->parameters());
  g.text_blocks.push_back(thead);
  g.other.push_back(logit_scale_log);
  return g;
}

TinyClip::TinyClip(PretrainSpec spec, Tokenizer tokenizer)
    : spec_(std::move(spec)),
      tokenizer_(std::move(tokenizer)),
      net_(TinyClipNet(spec_, tokenizer_.vocab_size())) {}

torch::Tensor TinyClip::EncodeImage(const torch::Tensor& images, const VisualPrompt& prompt) {
  return net_->EncodeImage(images.to(device_, torch::kFloat32), prompt);
}

torch::Tensor TinyClip::TokenEmbedding(const torch::Tensor& ids) {
  return net_->TokenEmbedding(ids.to(device_, torch::kInt64));
}

torch::Tensor TinyClip::EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                                 const torch::Tensor& eos_index) {
  return net_->EncodeTextFromEmbeddings(embeds.to(device_), eos_index.to(device_));
}

torch::Tensor TinyClip::LogitScale() { return net_->logit_scale_log.exp().clamp_max(100.0); }

void TinyClip::To(torch::Device device) {
  net_->to(device);
  device_ = device;
}

std::shared_ptr<VisionLanguageModel> TinyClip::Clone() const {
  auto copy = std::make_shared<TinyClip>(spec_, tokenizer_);
  copy->To(device_);
  CopyState(*net_, *copy->net_);
  copy->net_->train(net_->is_training());
  return copy;
}

}  // namespace chromatune::models
