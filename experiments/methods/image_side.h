// ImageSide: how a method turns images into L2-normalised features [N, D] with a dual
// encoder, and which of its tensors it trains.
//   Frozen    the backbone's image tower as is; features cached by view key (FeatureCache).
//   Vpt       learnable visual prompt tokens (shallow [L, Ev] or deep [layers, L, Ev]),
//             initialised uniform in +-sqrt(6 / (2 Ev)) (Xavier for an Ev x Ev map).
//   Pad       a learnable pixel border of `width` added to the 0..1 image (Bahng et al.'s
//             padding prompter), initialised to zero so epoch 0 is zero-shot.
//   Finetune  a clone of the backbone whose image tower (all of it, or its last k entries of
//             ParameterGroups::image_blocks) is trained.
// The backbone shared across trials is never modified: its parameters have requires_grad
// false; Finetune works on a Clone().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"
#include "datasets/image.h"
#include "experiments/methods/feature_cache.h"
#include "experiments/models/backbone.h"

namespace chromatune::methods {

class ImageSide {
 public:
  virtual ~ImageSide() = default;
  // `keys` (same length as images) name the pixels; only the frozen side uses them.
  virtual torch::Tensor Encode(const std::vector<const datasets::Image*>& images,
                               const std::vector<std::string>& keys) = 0;
  virtual std::vector<torch::Tensor> Parameters() { return {}; }
  // Training mode of modules that have one (finetune); prompts have none.
  virtual void SetTraining(bool) {}
  // The model features are computed with (the clone for finetune).
  virtual models::VisionLanguageModel& model() = 0;
};

std::unique_ptr<ImageSide> MakeFrozenImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                                               FeatureCache* cache);
Result<std::unique_ptr<ImageSide>> MakeVptImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                                                    int64_t tokens, bool deep);
// Error when 2 * width >= the model's image size (nothing of the image would remain).
Result<std::unique_ptr<ImageSide>> MakePadImageSide(std::shared_ptr<models::VisionLanguageModel> m,
                                                    int64_t width);
Result<std::unique_ptr<ImageSide>> MakeFinetuneImageSide(const models::VisionLanguageModel& m,
                                                         int64_t last_k_blocks);

// Encodes images through `encode` in chunks of `chunk` (bounded memory), concatenated.
torch::Tensor EncodeInChunks(const std::vector<const datasets::Image*>& images, int64_t chunk,
                             const std::function<torch::Tensor(const torch::Tensor&)>& encode);

}  // namespace chromatune::methods
