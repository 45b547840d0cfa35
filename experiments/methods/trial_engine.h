// TrialEngine: the LibTorch implementation of TrialRunner (runner.h): parses a plan item,
// obtains its backbone and data, builds the method and runs it on the trial's ranks.
//
// Caches, kept for the life of the engine (one per worker process): backbones by name
// (pretrained first when their checkpoint is missing), task data by (dataset, image size,
// shots, shot_unit, data_seed), and frozen image features per backbone (FeatureCache).
// Cached backbones are frozen (requires_grad false, eval mode) and never modified; finetune
// trains a clone.
//
// Method x task x backbone support:
//   zero-shot, ensemble, coop, vpt, pad-prompt, linear-probe, finetune: classification and
//     grounding (grounding scores proposal crops), dual encoders (tiny-clip, torchscript;
//     vpt needs visual-prompt support, i.e. tiny-clip).
//   cpt: grounding; dual encoder (colour words in the prompt) or tiny-fusion (fills [MASK]).
//   red-circle: grounding; dual encoder.
// Anything else is a kInvalidArgument naming the method, task or backbone.
//
// Seeds: torch's generator is seeded with train_seed before the method is built, so the
// initialisation and the training order depend on train_seed only; the support set depends
// on data_seed only (datasets/sampler.h).
//
// Not thread-safe: one trial at a time (TrialRunner's contract).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "datasets/task_data.h"
#include "experiments/methods/feature_cache.h"
#include "experiments/methods/trial_spec.h"
#include "experiments/models/backbone.h"
#include "experiments/models/device_choice.h"
#include "experiments/runner.h"

namespace chromatune::methods {

class TrialEngine {
 public:
  explicit TrialEngine(RunnerOptions options);

  Result<TrialResult> Run(const nlohmann::json& item, TrialContext& ctx);

  // The frozen-feature cache of the loaded backbone `name` (the cache of its weights'
  // content; created empty on first use).
  FeatureCache& features(const std::string& name);
  // Number of distinct backbones and task data sets held.
  size_t cached_backbones() const { return backbones_.size(); }

 private:
  Result<std::shared_ptr<models::Backbone>> Backbone(const std::string& name, TrialContext& ctx);
  // options_.device resolved for this rank on first use (models/device_choice.h); backbones
  // are moved there when loaded.
  Result<models::DeviceChoice> Device();
  // Where users' decoded images are kept: <cache_dir>/images (datasets/image_cache.h).
  std::string ImageCacheDir() const;
  Result<std::shared_ptr<const datasets::ClassificationTask>> Classification(const TrialSpec& spec,
                                                                             int image_size);
  Result<std::shared_ptr<const datasets::GroundingTask>> Grounding(const TrialSpec& spec,
                                                                   int image_size);
  Result<TrialResult> RunFusion(const TrialSpec& spec, std::shared_ptr<models::Backbone> backbone,
                                TrialContext& ctx);
  Result<TrialResult> RunDual(const TrialSpec& spec, std::shared_ptr<models::Backbone> backbone,
                              TrialContext& ctx);

  RunnerOptions options_;
  std::optional<models::DeviceChoice> device_;
  // Keyed by name and weight fingerprint, so a checkpoint rewritten in place is reloaded.
  std::map<std::string, std::shared_ptr<models::Backbone>> backbones_;
  // Keyed by the weight fingerprint (the weights' content), not the name or path.
  std::map<std::string, FeatureCache> features_;
  std::map<std::string, std::shared_ptr<const datasets::ClassificationTask>> classification_;
  std::map<std::string, std::shared_ptr<const datasets::GroundingTask>> grounding_;
};

}  // namespace chromatune::methods
