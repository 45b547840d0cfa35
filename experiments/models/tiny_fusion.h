// TinyFusion: the builtin single-stream backbone (`builtin:tiny-fusion`), VinVL/Oscar's
// shape at small scale.
//
// Sequence: text tokens (token + position + type embeddings, T = context_length) followed by
// the image's patch tokens (ConvStem, projected to text_width, + position + type
// embeddings); `fusion_layers` bidirectional transformer blocks; [PAD] keys are masked out.
// Heads: MLM (LayerNorm + linear to the vocabulary) at every text position, ITM (linear on
// the [SOS] position's output).
#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>

#include "experiments/models/backbone.h"
#include "experiments/models/layers.h"

namespace chromatune::models {

class TinyFusionNetImpl : public torch::nn::Module {
 public:
  TinyFusionNetImpl(const PretrainSpec& spec, int64_t vocab_size);

  torch::Tensor TokenEmbedding(const torch::Tensor& ids);
  // Final hidden states [B, T + N, E] (text positions first).
  torch::Tensor Hidden(const torch::Tensor& images, const torch::Tensor& embeds,
                       const torch::Tensor& ids);
  // MLM logits [B, K, V] at hidden text positions [B, K].
  torch::Tensor MlmLogits(const torch::Tensor& hidden, const torch::Tensor& positions);
  // ITM logit [B].
  torch::Tensor ItmLogit(const torch::Tensor& hidden);
  ParameterGroups Groups();

 private:
  ConvStem stem_{nullptr};
  torch::nn::Linear image_proj_{nullptr};
  torch::Tensor image_pos_, text_pos_, type_embedding_;
  torch::nn::Embedding token_embedding_{nullptr};
  std::vector<TransformerBlock> blocks_;
  torch::nn::LayerNorm ln_{nullptr}, mlm_ln_{nullptr};
  torch::nn::Linear mlm_head_{nullptr}, itm_head_{nullptr};
};
TORCH_MODULE(TinyFusionNet);

class TinyFusion final : public FusionModel {
 public:
  TinyFusion(PretrainSpec spec, Tokenizer tokenizer);

  std::string name() const override { return "builtin:tiny-fusion"; }
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  int64_t image_size() const override { return spec_.image_size; }
  int64_t token_width() const override { return spec_.text_width; }
  int64_t context_length() const override { return spec_.context_length; }

  torch::Tensor TokenEmbedding(const torch::Tensor& ids) override;
  torch::Tensor MaskLogitsFromEmbeddings(const torch::Tensor& images, const torch::Tensor& embeds,
                                         const torch::Tensor& ids,
                                         const torch::Tensor& mask_index) override;
  torch::Tensor MatchLogit(const torch::Tensor& images, const torch::Tensor& ids) override;

  ParameterGroups parameter_groups() override { return net_->Groups(); }
  std::vector<torch::Tensor> parameters() override { return net_->parameters(); }
  void SetTraining(bool training) override { net_->train(training); }
  void To(torch::Device device) override;
  torch::Device device() const override { return device_; }
  std::shared_ptr<FusionModel> Clone() const override;

  const PretrainSpec& spec() const { return spec_; }
  TinyFusionNet& net() { return net_; }

 private:
  PretrainSpec spec_;
  Tokenizer tokenizer_;
  TinyFusionNet net_;
  torch::Device device_ = torch::kCPU;
};

}  // namespace chromatune::models
