// TinyClip: the builtin dual encoder (`builtin:tiny-clip`).
//
// Image tower: ConvStem -> patch tokens (+ position embeddings), a class token in front,
// optional VPT prompt tokens after it, `vision_layers` transformer blocks, LayerNorm of the
// class token, linear projection to embed_dim. Text tower: token + position embeddings,
// `text_layers` causal transformer blocks, LayerNorm, the feature at [EOS], projection
// (CLIP's text tower at small scale). Sizes come from the PretrainSpec.
#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>

#include "experiments/models/backbone.h"
#include "experiments/models/layers.h"

namespace chromatune::models {

class TinyClipNetImpl : public torch::nn::Module {
 public:
  TinyClipNetImpl(const PretrainSpec& spec, int64_t vocab_size);

  torch::Tensor EncodeImage(const torch::Tensor& images, const VisualPrompt& prompt);
  torch::Tensor TokenEmbedding(const torch::Tensor& ids);
  torch::Tensor EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                         const torch::Tensor& eos_index);
  ParameterGroups Groups();

  int64_t vision_width() const { return vision_width_; }
  int64_t vision_layers() const { return static_cast<int64_t>(vision_blocks_.size()); }
  torch::Tensor logit_scale_log;  // log of the temperature; exp clamped to 100

 private:
  int64_t vision_width_;
  ConvStem stem_{nullptr};
  torch::Tensor class_token_, vision_pos_;
  std::vector<TransformerBlock> vision_blocks_;
  torch::nn::LayerNorm vision_ln_{nullptr};
  torch::nn::Linear vision_proj_{nullptr};
  torch::nn::Embedding token_embedding_{nullptr};
  torch::Tensor text_pos_;
  std::vector<TransformerBlock> text_blocks_;
  torch::nn::LayerNorm text_ln_{nullptr};
  torch::nn::Linear text_proj_{nullptr};
};
TORCH_MODULE(TinyClipNet);

class TinyClip final : public VisionLanguageModel {
 public:
  TinyClip(PretrainSpec spec, Tokenizer tokenizer);

  std::string name() const override { return "builtin:tiny-clip"; }
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  int64_t image_size() const override { return spec_.image_size; }
  int64_t embed_dim() const override { return spec_.embed_dim; }
  int64_t token_width() const override { return spec_.text_width; }
  int64_t context_length() const override { return spec_.context_length; }
  bool supports_visual_prompts() const override { return true; }
  int64_t vision_width() const override { return net_->vision_width(); }
  int64_t vision_layers() const override { return net_->vision_layers(); }

  torch::Tensor EncodeImage(const torch::Tensor& images, const VisualPrompt& prompt) override;
  torch::Tensor TokenEmbedding(const torch::Tensor& ids) override;
  torch::Tensor EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                         const torch::Tensor& eos_index) override;
  torch::Tensor LogitScale() override;

  ParameterGroups parameter_groups() override { return net_->Groups(); }
  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  void SetTraining(bool training) override { net_->train(training); }
  void To(torch::Device device) override;
  torch::Device device() const override { return device_; }
  std::shared_ptr<VisionLanguageModel> Clone() const override;

  const PretrainSpec& spec() const { return spec_; }
  TinyClipNet& net() { return net_; }

 private:
  PretrainSpec spec_;
  Tokenizer tokenizer_;
  TinyClipNet net_;
  torch::Device device_ = torch::kCPU;
};

}  // namespace chromatune::models
