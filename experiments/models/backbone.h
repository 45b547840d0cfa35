// Backbones: the vision-language models that methods adapt, and how they are obtained.
//
//   builtin:tiny-clip     dual encoder pretrained contrastively by `chromatune pretrain`
//   builtin:tiny-fusion   single-stream transformer with an MLM head (CPT's "[MASK]")
//   torchscript:PATH      a TorchScript module (see TorchScriptModel below)
//   clip:PATH[?vocab=F]   a CLIP checkpoint as users have it (clip_model.h, backbone_ref.h)
//   spec:PATH.yaml        a builtin backbone pretrained by the spec file at PATH
//   builtin:tiny-clip?steps=20&batch_size=16   defaults overridden per field (tests)
//   builtin:tiny-clip?seed=3   another pretraining run (replicates.backbone_seeds); the
//                              seed is in the spec hash, hence in the checkpoint's name
//
// Tensors: images are float [B, 3, H, W] in 0..1 (RGB, H = W = image_size(); each model
// normalises internally, so pixel-space prompts such as pad-prompt and colour blocks are
// drawn on 0..1 pixels). Features are NOT L2-normalised (CLIP's convention); callers
// normalise. Inputs are moved to the model's device by the model.
//
// Thread safety: a model is used by one trial at a time. Methods that change weights
// (finetune) must Clone() first; the cached backbone is shared across trials.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/models/pretrain_spec.h"
#include "experiments/models/tokenizer.h"

namespace chromatune::models {

// Learnable visual tokens for VPT (Jia et al. 2022). At most one of the two is defined.
//   shallow [L, Ev]: inserted once after the class token, before the first block.
//   deep [layers, L, Ev]: before block i the L prompt tokens are replaced by deep[i]
//   (layers == vision_layers()).
// Ev is vision_width(). Prompt tokens never reach the pooled output directly; they act
// through attention.
struct VisualPrompt {
  torch::Tensor shallow;
  torch::Tensor deep;
  bool empty() const { return !shallow.defined() && !deep.defined(); }
};

// Parameters by role, for freezing and "finetune the last k blocks".
// *_blocks are ordered input -> output. For the builtin image tower entry 0 is the conv
// stem (with class token and position embeddings), then one entry per transformer block,
// and the last entry is the head (final LayerNorm + projection). The text tower likewise:
// token + position embeddings, blocks, head. "Last k" = the last k entries. `other` holds
// the logit scale. Every parameter appears in exactly one of image_blocks, text_blocks,
// other.
struct ParameterGroups {
  std::vector<std::vector<torch::Tensor>> image_blocks;
  std::vector<std::vector<torch::Tensor>> text_blocks;
  std::vector<torch::Tensor> other;
  std::vector<torch::Tensor> ImageTower() const;  // all of image_blocks, flattened
  std::vector<torch::Tensor> TextTower() const;   // all of text_blocks, flattened
};

// A dual encoder (CLIP shape). Implemented by TinyClip and TorchScriptModel.
class VisionLanguageModel {
 public:
  virtual ~VisionLanguageModel() = default;

  virtual std::string name() const = 0;
  virtual const TextTokenizer& tokenizer() const = 0;
  virtual int64_t image_size() const = 0;
  virtual int64_t embed_dim() const = 0;       // D of EncodeImage / EncodeText*
  virtual int64_t token_width() const = 0;     // E of TokenEmbedding
  virtual int64_t context_length() const = 0;  // T the text tower accepts
  // VPT support: false for models whose image tower is opaque (TorchScript).
  virtual bool supports_visual_prompts() const = 0;
  virtual int64_t vision_width() const = 0;   // Ev, 0 without VPT support
  virtual int64_t vision_layers() const = 0;  // blocks VPT-deep prompts, 0 without

  // [B, 3, H, W] -> [B, D]. `prompt` must be empty unless supports_visual_prompts().
  virtual torch::Tensor EncodeImage(const torch::Tensor& images,
                                    const VisualPrompt& prompt = {}) = 0;
  // Token ids [B, T] int64 -> input embeddings [B, T, E] (position embeddings NOT added).
  virtual torch::Tensor TokenEmbedding(const torch::Tensor& ids) = 0;
  // Input embeddings [B, T, E] (e.g. with CoOp context vectors spliced in) and the [EOS]
  // position per row [B] -> [B, D]. Position embeddings are added here.
  virtual torch::Tensor EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                                 const torch::Tensor& eos_index) = 0;
  // exp of the learned temperature (a 0-dim tensor; CLIP's logit_scale.exp()).
  virtual torch::Tensor LogitScale() = 0;

  virtual ParameterGroups parameter_groups() = 0;
  virtual std::vector<torch::Tensor> parameters() = 0;
  virtual void SetTraining(bool training) = 0;
  virtual void To(torch::Device device) = 0;
  virtual torch::Device device() const = 0;
  // A deep copy with its own parameters (for methods that modify weights).
  virtual std::shared_ptr<VisionLanguageModel> Clone() const = 0;

  // Convenience: TokenEmbedding then EncodeTextFromEmbeddings.
  torch::Tensor EncodeText(const torch::Tensor& ids, const torch::Tensor& eos_index);
  // Tokenises `texts` at context_length() and encodes them: [N, D].
  torch::Tensor EncodeTexts(const std::vector<std::string>& texts);
};

// A single-stream image-text transformer (VinVL/Oscar shape): image patch tokens and text
// tokens attend to each other. Implemented by TinyFusion.
class FusionModel {
 public:
  virtual ~FusionModel() = default;
  virtual std::string name() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual int64_t image_size() const = 0;
  virtual int64_t token_width() const = 0;
  virtual int64_t context_length() const = 0;

  virtual torch::Tensor TokenEmbedding(const torch::Tensor& ids) = 0;  // [B,T] -> [B,T,E]
  // Vocabulary logits at `mask_index` [B] for images [B,3,H,W] with text input embeddings
  // [B,T,E] (ids padded with [PAD], which is masked out of attention via `ids`): [B, V].
  // Texts such as "the bag is in [MASK] color." put [MASK] at mask_index.
  virtual torch::Tensor MaskLogitsFromEmbeddings(const torch::Tensor& images,
                                                 const torch::Tensor& embeds,
                                                 const torch::Tensor& ids,
                                                 const torch::Tensor& mask_index) = 0;
  // Image-text matching logit per pair [B] (higher = the text describes the image).
  virtual torch::Tensor MatchLogit(const torch::Tensor& images, const torch::Tensor& ids) = 0;

  virtual ParameterGroups parameter_groups() = 0;  // image_blocks = patch stem + blocks + heads
  virtual std::vector<torch::Tensor> parameters() = 0;
  virtual void SetTraining(bool training) = 0;
  virtual void To(torch::Device device) = 0;
  virtual torch::Device device() const = 0;
  virtual std::shared_ptr<FusionModel> Clone() const = 0;

  // Convenience: MaskLogitsFromEmbeddings(images, TokenEmbedding(ids), ids, mask_index).
  torch::Tensor MaskLogits(const torch::Tensor& images, const torch::Tensor& ids,
                           const torch::Tensor& mask_index);
};

// What a backbone name resolves to: exactly one of `dual`, `fusion` is set.
struct Backbone {
  std::string name;                           // as requested
  std::shared_ptr<VisionLanguageModel> dual;  // builtin:tiny-clip, torchscript:PATH
  std::shared_ptr<FusionModel> fusion;        // builtin:tiny-fusion
  std::string checkpoint_path;                // the file the weights came from
  nlohmann::json spec;                        // PretrainSpec::CanonicalJson (builtin), or {}
  bool pretrained_here = false;               // this call trained it (not found in the cache)
  std::string fingerprint;  // BackboneFingerprint (weights' content), set by the trial engine
};

// Called on rank 0 with the fraction done (0..1) and a short note; may be empty.
using ProgressFn = std::function<void(double fraction, const std::string& note)>;

// Resolves a backbone name (see the top of this file). Builtin backbones are loaded from
// CheckpointDir(`cache_dir`, spec) when present (the same for every rank count: checkpoint.h);
// otherwise they are pretrained first
// (data-parallel over `comm`; every rank must call this with the same arguments), saved atomically
// by rank 0 and loaded by all ranks. Rank 0 holds `cache_dir`/<spec hash>.lock (common/file_lock.h)
// from looking into the cache until the checkpoint is saved, so of several processes that
// need the same missing checkpoint one pretrains and the others wait for it and load it
// (reporting "waiting for ..." through `progress`). Errors: unknown name or override field
// (kInvalidArgument), unreadable or corrupt checkpoint (kCorruption naming the file), TorchScript
// module missing a required method (kInvalidArgument naming it).
Result<std::shared_ptr<Backbone>> LoadOrPretrain(const std::string& name,
                                                 const std::string& cache_dir, Communicator* comm,
                                                 const ProgressFn& progress);

// The same for an explicit spec (name is "builtin:<kind>" plus the spec hash).
Result<std::shared_ptr<Backbone>> LoadOrPretrainSpec(const PretrainSpec& spec,
                                                     const std::string& cache_dir,
                                                     Communicator* comm,
                                                     const ProgressFn& progress);

// The PretrainSpec a builtin / spec: name denotes (error for torchscript: and unknown names).
Result<PretrainSpec> SpecForBackboneName(const std::string& name);

}  // namespace chromatune::models
