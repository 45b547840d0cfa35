// PretrainRun: what `chromatune pretrain` does, as a library call so the CLI and the
// pretraining benchmark share it: resolve the spec, load the cached checkpoint or pretrain
// it, optionally evaluate it (evaluate.h), and summarise everything as JSON.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/models/backbone.h"

namespace chromatune::models {

struct PretrainRunOptions {
  std::string cache_dir = "runs/cache";
  int threads = 0;  // > 0 overrides the spec's threads
  bool evaluate = false;
  int64_t zero_shot_limit = 0;    // 0 = the whole test split
  int64_t grounding_size = 1000;  // FashionRef eval examples
  ProgressFn progress;            // training progress and evaluation notes
  // Where pretraining computes: auto | cpu | cuda | cuda:N, resolved for this process's
  // local rank (device_choice.h); `cuda` without a GPU is kInvalidArgument naming the
  // request. Evaluation stays on the CPU (the model comes back there).
  std::string device = "cpu";
};

// Summary: {"checkpoint", "kind", "spec_hash", "cached", "threads", "device" (the resolved
// device: {"kind", "name", "index" for cuda}), "training": {seconds,
// steps_per_second, final_loss, ...}, "evaluation": {zero_shot, zero_shot_shift,
// grounding_3items_red, grounding_3items_palette, seconds}}; each grounding figure also split
// by query kind: grounding_3items_<protocol>_class_queries and ..._relational_queries
// (evaluate.h GroundingScore).
// `spec_or_name` is a YAML spec path or a builtin:... name. Errors: bad spec or name
// (kInvalidArgument / kNotFound), training, checkpoint and evaluation failures.
Result<nlohmann::json> RunPretrain(const std::string& spec_or_name,
                                   const PretrainRunOptions& options);

}  // namespace chromatune::models
