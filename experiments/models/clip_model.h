// ClipModel: `clip:PATH`, OpenAI CLIP's published architecture in LibTorch, loaded from a
// checkpoint as users have it (clip_checkpoint.h) with every size read from the tensors'
// shapes, as the reference loader does:
//   ViT tower          visual.proj present; width = conv1's output channels, patch = its
//                      kernel, layers = distinct visual.transformer.resblocks indices,
//                      resolution = patch * sqrt(positional rows - 1), heads = width / 64.
//   modified ResNet    blocks per stage = distinct visual.layer{1..4}.N indices, width =
//                      layer1.0.conv1's output channels, resolution = 32 * sqrt(attention
//                      pool positional rows - 1), attention-pool heads = width * 32 / 64.
//   text tower         width = ln_final's size, heads = width / 64, layers = distinct
//                      transformer.resblocks indices, context = positional rows, vocabulary =
//                      token_embedding rows, embedding = text_projection's columns.
// Numerics follow the reference: pre-LayerNorm residual blocks with QuickGELU
// (x * sigmoid(1.702 x)), or exact GELU for open_clip's own models (`activation`); a causal
// text transformer read at the end token; images normalised inside with CLIP's mean and std.
//
// Methods:
//   VPT (ViT only): shallow prompts are inserted after the class token once positional
//   embeddings are added, before ln_pre; deep prompts replace them before each block
//   (deep[0] where shallow ones would go).
//   Fine-tuning: parameter_groups() lists, for "the last k blocks", the ViT's stem,
//   transformer blocks and head, or the ResNet's stem, four residual stages and attention
//   pool. Batch-norm layers always use their stored statistics (frozen, as when fine-tuning
//   across ranks with per-rank batches: see docs/decisions.md).
//
// Thread safety as VisionLanguageModel: one trial at a time; Clone() for weight changes.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"
#include "experiments/models/backbone.h"
#include "experiments/models/clip_checkpoint.h"

namespace chromatune::models {

// The architecture a checkpoint describes, read from its shapes.
struct ClipArchitecture {
  bool vit = true;
  int64_t image_resolution = 0;
  int64_t vision_width = 0;
  int64_t vision_layers = 0;              // ViT blocks (0 for ResNet)
  std::array<int64_t, 4> stage_blocks{};  // ResNet blocks per stage (zeros for ViT)
  int64_t vision_heads = 0;
  int64_t patch_size = 0;  // ViT
  int64_t embed_dim = 0;
  int64_t context_length = 0;
  int64_t vocab_size = 0;
  int64_t text_width = 0;
  int64_t text_heads = 0;
  int64_t text_layers = 0;
  bool quick_gelu = true;

  // "ViT-B/32-shaped (width 768, 12 layers, patch 32, 224 px)" style summary.
  std::string Describe() const;
};

// Reads the architecture from a state dict and checks that every tensor it needs is there
// with the shape it implies; errors name the tensor, the expected and the actual shape.
Result<ClipArchitecture> InferClipArchitecture(const StateDict& weights);

class ClipTokenizer;

class ClipModel final : public VisionLanguageModel {
 public:
  struct Options {
    std::string vocab_path;  // bpe_simple_vocab_16e6.txt.gz
    bool quick_gelu = true;  // false: exact GELU (open_clip's own models)
  };
  // Reads `checkpoint_path` and the vocabulary; `name` is what the model reports as name().
  static Result<std::shared_ptr<ClipModel>> Load(const std::string& checkpoint_path,
                                                 const Options& options);
  // From tensors already in memory (tests, Clone).
  static Result<std::shared_ptr<ClipModel>> FromWeights(StateDict weights,
                                                        std::shared_ptr<const ClipTokenizer> tok,
                                                        bool quick_gelu, std::string name);

  std::string name() const override { return name_; }
  const TextTokenizer& tokenizer() const override;
  int64_t image_size() const override { return arch_.image_resolution; }
  int64_t embed_dim() const override { return arch_.embed_dim; }
  int64_t token_width() const override { return arch_.text_width; }
  int64_t context_length() const override { return arch_.context_length; }
  bool supports_visual_prompts() const override { return arch_.vit; }
  int64_t vision_width() const override { return arch_.vit ? arch_.vision_width : 0; }
  int64_t vision_layers() const override { return arch_.vit ? arch_.vision_layers : 0; }

  torch::Tensor EncodeImage(const torch::Tensor& images, const VisualPrompt& prompt) override;
  torch::Tensor TokenEmbedding(const torch::Tensor& ids) override;
  torch::Tensor EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                         const torch::Tensor& eos_index) override;
  torch::Tensor LogitScale() override;

  ParameterGroups parameter_groups() override;
  std::vector<torch::Tensor> parameters() override;
  void SetTraining(bool training) override { training_ = training; }
  void To(torch::Device device) override;
  torch::Device device() const override { return device_; }
  std::shared_ptr<VisionLanguageModel> Clone() const override;

  const ClipArchitecture& architecture() const { return arch_; }
  int64_t parameter_count() const;

 private:
  ClipModel() = default;
  const torch::Tensor& W(const std::string& name) const;
  torch::Tensor Block(const torch::Tensor& x, const std::string& prefix,
                      const torch::Tensor& mask) const;
  torch::Tensor Attention(const torch::Tensor& x, const std::string& prefix, int64_t heads,
                          const torch::Tensor& mask) const;
  torch::Tensor EncodeVit(const torch::Tensor& x, const VisualPrompt& prompt) const;
  torch::Tensor EncodeResNet(const torch::Tensor& x) const;
  torch::Tensor BatchNorm(const torch::Tensor& x, const std::string& prefix) const;
  torch::Tensor Bottleneck(const torch::Tensor& x, const std::string& prefix, int64_t stride) const;
  torch::Tensor AttentionPool(const torch::Tensor& x) const;

  std::string name_;
  ClipArchitecture arch_;
  StateDict weights_;  // OpenAI's names; parameters require grad, BN statistics do not
  std::shared_ptr<const ClipTokenizer> tokenizer_;
  torch::Tensor text_mask_;  // [T, T] causal mask (-inf above the diagonal)
  torch::Device device_ = torch::kCPU;
  bool training_ = false;
};

}  // namespace chromatune::models
