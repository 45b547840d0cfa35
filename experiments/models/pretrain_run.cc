#include "experiments/models/pretrain_run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "experiments/models/checkpoint.h"
#include "experiments/models/device_choice.h"
#include "experiments/models/evaluate.h"
#include "experiments/models/pretrain_on_device.h"

namespace chromatune::models {
namespace {

Result<nlohmann::json> Evaluate(Backbone& backbone, const PretrainRunOptions& options) {
  nlohmann::json out = nlohmann::json::object();
  const auto start = std::chrono::steady_clock::now();
  auto note = [&](const std::string& what, double value) {
    if (!options.progress) return;
    char buf[160];
    std::snprintf(buf, sizeof(buf), "evaluate: %s: %.4f", what.c_str(), value);
    options.progress(1.0, buf);
  };
  for (const char* protocol : {"red", "palette"}) {
    GroundingEvalOptions g;
    g.protocol = protocol;
    g.size = options.grounding_size;
    Result<GroundingScore> score = backbone.dual ? GroundingAccuracy(*backbone.dual, g)
                                                 : GroundingAccuracy(*backbone.fusion, g);
    if (!score.ok()) return score.status();
    const std::string key = std::string("grounding_3items_") + protocol;
    out[key] = score->accuracy;
    out[key + "_class_queries"] = score->class_query_accuracy;
    out[key + "_relational_queries"] = score->relational_accuracy;
    note(std::string("CPT zero-shot grounding, 3 items, ") + protocol, score->accuracy);
  }
  if (backbone.dual) {
    // Recipes are chosen on the validation pool; the test split is reported, never chosen on.
    ZeroShotEvalOptions val;
    val.val_pool = true;
    CT_ASSIGN_OR_RETURN(out["zero_shot_val"], ZeroShotAccuracy(*backbone.dual, val));
    note("zero-shot \"" + val.prompt_template + "\", plain validation pool",
         out["zero_shot_val"].get<double>());
    for (bool shifted : {false, true}) {
      ZeroShotEvalOptions z;
      z.limit = options.zero_shot_limit;
      z.shifted = shifted;
      CT_ASSIGN_OR_RETURN(double acc, ZeroShotAccuracy(*backbone.dual, z));
      out[shifted ? "zero_shot_shift" : "zero_shot"] = acc;
      note("zero-shot \"" + z.prompt_template + "\", " + (shifted ? "shifted" : "plain") +
               " test split",
           acc);
    }
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace

Result<nlohmann::json> RunPretrain(const std::string& spec_or_name,
                                   const PretrainRunOptions& options) {
  CT_ASSIGN_OR_RETURN(PretrainSpec spec, spec_or_name.rfind("builtin:", 0) == 0
                                             ? SpecForBackboneName(spec_or_name)
                                             : LoadPretrainSpecFile(spec_or_name));
  if (options.threads > 0) spec.threads = options.threads;
  CT_ASSIGN_OR_RETURN(const DeviceChoice device,
                      ResolveDevice(options.device, LocalRankFromEnvironment()));
  const std::string dir = CheckpointDir(options.cache_dir, spec);
  const bool cached = std::filesystem::exists(std::filesystem::path(dir) / "spec.json");
  if (options.progress) {
    options.progress(0.0, std::string(cached ? "loading cached " : "training ") + spec.kind +
                              " (spec " + spec.Hash().substr(0, 12) + "), " +
                              std::to_string(spec.threads) + " threads" +
                              (cached ? std::string() : ", on " + device.str()));
  }
  torch::set_num_threads(spec.threads);  // for the evaluation; pretraining sets its own
  CT_ASSIGN_OR_RETURN(auto backbone, LoadOrPretrainSpecOn(spec, options.cache_dir, nullptr,
                                                          options.progress, device.str()));
  nlohmann::json summary = {
      {"checkpoint", dir},
      {"kind", spec.kind},
      {"spec_hash", spec.Hash()},
      {"cached", !backbone->pretrained_here},
      {"threads", spec.threads},
      {"device", {{"kind", device.cuda ? "cuda" : "cpu"}, {"name", device.name}}}};
  if (device.cuda) summary["device"]["index"] = device.index;
  std::ifstream meta_in(std::filesystem::path(dir) / "spec.json");
  nlohmann::json meta = nlohmann::json::parse(meta_in, nullptr, /*allow_exceptions=*/false);
  if (meta.is_object() && meta.contains("training")) summary["training"] = meta["training"];
  if (options.evaluate) {
    CT_ASSIGN_OR_RETURN(summary["evaluation"], Evaluate(*backbone, options));
  }
  return summary;
}

}  // namespace chromatune::models
