// Quality checks of a pretrained backbone, used by `chromatune pretrain` to record what a
// checkpoint is worth (docs/models.md). Not the methods' evaluation (experiments/methods/).
//
//   zero-shot classification: every item of the Fashion-MNIST TEST split (or the first
//     `limit`), rendered by datasets::RenderClassificationItem in the chosen domain, scored
//     against "a photo of a {class word}." (cosine, argmax).
//   CPT zero-shot grounding on FashionRef (eval pool), two protocols:
//     "red"     each proposal in its own copy of the image under CPT's red block (240,0,30)
//               at alpha 127/255; the copy most similar to "{query} is in red color" wins
//               (tiny-clip: cosine; tiny-fusion: ITM logit);
//     "palette" one image, proposal p under CPT colour p (red, purple, green, yellow, blue);
//               tiny-clip scores "{query} is in {colour p} color" for each p; tiny-fusion
//               fills "{query} is in [MASK] color" and compares the colour words' logits.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "experiments/models/backbone.h"

namespace chromatune::models {

struct ZeroShotEvalOptions {
  std::string prompt_template = "a photo of a {}.";
  int64_t limit = 0;     // 0 = the whole test split (10,000 items)
  bool shifted = false;  // render in the fashion-mnist-shift domain
  // The train split's validation pool (2,000 images, datasets/fashion_pools.h) instead of the
  // test split: what recipes are chosen on; the test split is for reporting only.
  bool val_pool = false;
  std::string fashion_dir;
};

Result<double> ZeroShotAccuracy(VisionLanguageModel& model, const ZeroShotEvalOptions& options);

struct GroundingEvalOptions {
  std::string protocol = "red";  // "red" or "palette"
  int num_items = 3;
  int num_distractors = 0;  // 3 items, no distractors: random choice is right 1/3
  int64_t size = 1000;      // examples of the FashionRef eval pool
  std::string fashion_dir;
};

// Accuracy over the whole set and split by the kind of referring expression: a class query
// ("the bag": the target's class is unique in the scene, what CPT's colour binding answers)
// and a relational one ("the bag left of the shirt": the target has a twin of its class, so
// the model must also read the spatial relation; FashionRefOptions::relational_fraction).
struct GroundingScore {
  double accuracy = 0;
  double class_query_accuracy = 0;  // 0 when the set has no class queries
  double relational_accuracy = 0;   // 0 when the set has no relational queries
  int64_t class_queries = 0;
  int64_t relational_queries = 0;
};

Result<GroundingScore> GroundingAccuracy(VisionLanguageModel& model,
                                         const GroundingEvalOptions& options);
Result<GroundingScore> GroundingAccuracy(FusionModel& model, const GroundingEvalOptions& options);

}  // namespace chromatune::models
