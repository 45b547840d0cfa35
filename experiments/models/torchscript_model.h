// TorchScriptModel: `torchscript:PATH`, a dual encoder exported with torch.jit.script (or
// trace) by the user, e.g. CLIP. The module must expose
//   encode_image(images: Tensor[B,3,H,W] float 0..1) -> Tensor[B,D]
//       (normalisation to the model's pixel statistics happens inside)
//   encode_text(ids: Tensor[B,T] int64) -> Tensor[B,D]
//   token_embedding(ids: Tensor[B,T] int64) -> Tensor[B,T,E]
//   encode_text_from_embeddings(embeds: Tensor[B,T,E], eos_index: Tensor[B] int64)
//       -> Tensor[B,D]   (position embeddings added inside; what CoOp needs)
//   vocabulary() -> List[str]   word-level vocabulary, starting with [PAD] [SOS] [EOS]
//       [MASK] [UNK] (tokenizer.h)
// and the int attributes `image_size` and `context_length`; an optional Tensor attribute
// `logit_scale` (log of the temperature, CLIP's convention; default log(100)).
// Parameters whose names start with "visual" form the image tower, "logit_scale" is
// `other`, the rest is the text tower (one block each: the module's internals are opaque).
// Visual prompts (VPT) are not supported.
#pragma once

#include <memory>
#include <string>

#include <torch/script.h>

#include "experiments/models/backbone.h"

namespace chromatune::models {

class TorchScriptModel final : public VisionLanguageModel {
 public:
  // Loads and checks the module (errors name PATH and the missing method or attribute).
  static Result<std::shared_ptr<TorchScriptModel>> Load(const std::string& path);

  std::string name() const override { return "torchscript:" + path_; }
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  int64_t image_size() const override { return image_size_; }
  int64_t embed_dim() const override { return embed_dim_; }
  int64_t token_width() const override { return token_width_; }
  int64_t context_length() const override { return context_length_; }
  bool supports_visual_prompts() const override { return false; }
  int64_t vision_width() const override { return 0; }
  int64_t vision_layers() const override { return 0; }

  torch::Tensor EncodeImage(const torch::Tensor& images, const VisualPrompt& prompt) override;
  torch::Tensor TokenEmbedding(const torch::Tensor& ids) override;
  torch::Tensor EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                         const torch::Tensor& eos_index) override;
  torch::Tensor LogitScale() override;

  ParameterGroups parameter_groups() override;
  std::vector<torch::Tensor> parameters() override;
  void SetTraining(bool training) override { module_.train(training); }
  void To(torch::Device device) override;
  torch::Device device() const override { return device_; }
  std::shared_ptr<VisionLanguageModel> Clone() const override;

 private:
  TorchScriptModel(std::string path, torch::jit::Module module, Tokenizer tokenizer);
  std::string path_;
  torch::jit::Module module_;
  Tokenizer tokenizer_;
  int64_t image_size_ = 0, context_length_ = 0, embed_dim_ = 0, token_width_ = 0;
  torch::Device device_ = torch::kCPU;
};

}  // namespace chromatune::models
