// PretrainSpec: everything that determines a builtin backbone's weights — architecture,
// data and optimisation — and nothing else. Its canonical JSON (sorted keys, every field
// written) is hashed with SHA-256 to name the cached checkpoint, so two runs with equal
// specs share one checkpoint. `threads` is a run setting, not part of the identity, and is
// left out of the hash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::models {

// What every builtin backbone is pretrained on: the pretraining pool of Fashion-MNIST's train
// split (datasets/fashion_pools.h). Part of the spec's canonical form, so the checkpoint
// cache key and every trial key changed when the pools were introduced.
inline constexpr const char* kPretrainCorpus = "fashion-mnist-train/pretrain-pool";

struct PretrainSpec {
  // "tiny-clip" (dual encoder, contrastive) or "tiny-fusion" (single stream, MLM + ITM).
  std::string kind = "tiny-clip";

  // --- architecture ---
  int64_t image_size = 56;  // square RGB input, pixels
  // Conv stem: one 3x3 conv per entry; every conv after the first has stride 2, so a 56px
  // image becomes (56 / 2^(n-1))^2 patch tokens (7x7 = 49 for 4 convs).
  std::vector<int64_t> conv_widths = {16, 32, 64, 64};
  int64_t vision_layers = 1;  // transformer blocks over the patch tokens (VPT goes here)
  int64_t vision_heads = 4;   // width = conv_widths.back()
  int64_t text_width = 64;
  int64_t text_layers = 2;
  int64_t text_heads = 4;
  // Tokens incl. [SOS] and [EOS]: 24 fits CoOp's 16 context vectors + class name + "."
  int64_t context_length = 24;
  int64_t embed_dim = 64;  // joint embedding (tiny-clip)
  // tiny-fusion: layers of the single-stream transformer (width text_width).
  int64_t fusion_layers = 3;

  // --- data (datasets/ compositor, train split only) ---
  int64_t max_items = 3;                // items per canvas, 1..max_items
  double hard_negative_fraction = 0.5;  // share of each batch made of hard-negative pairs
  double single_item_fraction = 0.5;    // share made of single-item, block-free scenes
  int64_t data_seed = 1;

  // --- optimisation ---
  int64_t steps = 1500;
  int64_t batch_size = 128;  // global batch (split across ranks)
  double lr = 1.5e-3;
  double weight_decay = 0.05;
  int64_t warmup_steps = 50;  // linear warm-up, then cosine to 0
  int64_t seed = 1;           // init and order

  // --- run setting, not hashed ---
  int threads = 2;

  // Canonical JSON of the hashed fields (sorted keys, all fields).
  nlohmann::json CanonicalJson() const;
  // Lower-case hex SHA-256 of CanonicalJson().dump().
  std::string Hash() const;
  // Checks ranges; the message names the field.
  Status Validate() const;
};

// The defaults of `kind` ("tiny-clip" or "tiny-fusion"): the 5-minute, 2-core sizes.
Result<PretrainSpec> DefaultPretrainSpec(const std::string& kind);

// Applies the fields of `j` (an object; unknown keys are errors naming the key; `where`
// prefixes messages, e.g. "spec.yaml") to a copy of `base` and validates it.
Result<PretrainSpec> PretrainSpecFromJson(const nlohmann::json& j, const PretrainSpec& base,
                                          const std::string& where);
// Reads a YAML spec file: `kind` selects the defaults, the other keys override them.
Result<PretrainSpec> LoadPretrainSpecFile(const std::string& path);

}  // namespace chromatune::models
