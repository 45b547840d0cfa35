// `chromatune pretrain SPEC.yaml|builtin:NAME`: pretrains a builtin backbone (or finds it in
// the cache by its spec hash), prints progress on stderr and a JSON summary with the
// checkpoint path on stdout; --evaluate adds zero-shot classification and CPT zero-shot
// grounding figures (experiments/models/evaluate.h).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "experiments/models/backbone.h"
#include "experiments/models/checkpoint.h"
#include "experiments/models/evaluate.h"

namespace chromatune::cli {
namespace {

struct PretrainArgs {
  std::string spec;
  std::string cache_dir = "runs/cache";
  int threads = 0;
  bool evaluate = false;
  int64_t eval_limit = 0;
  int64_t grounding_size = 1000;
};

Result<nlohmann::json> Evaluate(models::Backbone& backbone, const PretrainArgs& args) {
  nlohmann::json out = nlohmann::json::object();
  const auto start = std::chrono::steady_clock::now();
  for (const char* protocol : {"red", "palette"}) {
    models::GroundingEvalOptions g;
    g.protocol = protocol;
    g.size = args.grounding_size;
    Result<double> acc = backbone.dual ? models::GroundingAccuracy(*backbone.dual, g)
                                       : models::GroundingAccuracy(*backbone.fusion, g);
    if (!acc.ok()) return acc.status();
    out[std::string("grounding_3items_") + protocol] = *acc;
    std::fprintf(stderr, "evaluate: CPT zero-shot grounding, 3 items, %s: %.4f\n", protocol, *acc);
  }
  if (backbone.dual) {
    for (bool shifted : {false, true}) {
      models::ZeroShotEvalOptions z;
      z.limit = args.eval_limit;
      z.shifted = shifted;
      CT_ASSIGN_OR_RETURN(double acc, models::ZeroShotAccuracy(*backbone.dual, z));
      out[shifted ? "zero_shot_shift" : "zero_shot"] = acc;
      std::fprintf(stderr, "evaluate: zero-shot \"%s\" on the %s test split: %.4f\n",
                   z.prompt_template.c_str(), shifted ? "shifted" : "plain", acc);
    }
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

int RunPretrain(const PretrainArgs& args) {
  Result<models::PretrainSpec> spec =
      args.spec.rfind("builtin:", 0) == 0 ? models::SpecForBackboneName(args.spec)
                                          : models::LoadPretrainSpecFile(args.spec);
  if (!spec.ok()) {
    std::cerr << "chromatune pretrain: " << spec.status().message() << "\n";
    return kExitBadInput;
  }
  if (args.threads > 0) spec->threads = args.threads;
  const std::string dir = models::CheckpointDir(args.cache_dir, *spec);
  const bool cached = std::filesystem::exists(std::filesystem::path(dir) / "spec.json");
  std::fprintf(stderr, "pretrain: %s %s (spec %s), %d threads\n",
               cached ? "loading cached" : "training", spec->kind.c_str(),
               spec->Hash().substr(0, 12).c_str(), spec->threads);
  auto progress = [](double fraction, const std::string& note) {
    std::fprintf(stderr, "pretrain: %5.1f%% %s\n", 100.0 * fraction, note.c_str());
  };
  auto backbone = models::LoadOrPretrainSpec(*spec, args.cache_dir, nullptr, progress);
  if (!backbone.ok()) {
    std::cerr << "chromatune pretrain: " << backbone.status().ToString() << "\n";
    return backbone.status().code() == StatusCode::kInvalidArgument ? kExitBadInput
                                                                    : kExitFailure;
  }
  nlohmann::json summary = {{"checkpoint", dir},
                            {"kind", spec->kind},
                            {"spec_hash", spec->Hash()},
                            {"cached", cached},
                            {"threads", spec->threads}};
  std::ifstream meta_in(std::filesystem::path(dir) / "spec.json");
  nlohmann::json meta = nlohmann::json::parse(meta_in, nullptr, /*allow_exceptions=*/false);
  if (meta.is_object() && meta.contains("training")) summary["training"] = meta["training"];
  if (args.evaluate) {
    auto eval = Evaluate(**backbone, args);
    if (!eval.ok()) {
      std::cerr << "chromatune pretrain: evaluation failed: " << eval.status().ToString() << "\n";
      return kExitFailure;
    }
    summary["evaluation"] = *eval;
  }
  std::cout << summary.dump(2) << std::endl;
  return kExitOk;
}

CommandRegistrar registrar("pretrain", [](CLI::App& root) {
  auto args = std::make_shared<PretrainArgs>();
  CLI::App* app = root.add_subcommand(
      "pretrain", "Pretrain a builtin backbone (cached by the hash of its spec)");
  app->add_option("spec", args->spec,
                  "Pretraining spec YAML (kind, widths, steps, batch_size, lr, seed, threads), "
                  "or builtin:tiny-clip / builtin:tiny-fusion[?field=value&...]")
      ->required();
  app->add_option("--cache-dir", args->cache_dir, "Checkpoint cache directory")
      ->capture_default_str();
  app->add_option("--threads", args->threads, "LibTorch threads (overrides the spec)");
  app->add_flag("--evaluate", args->evaluate,
                "Measure zero-shot accuracy and CPT zero-shot grounding afterwards");
  app->add_option("--eval-limit", args->eval_limit,
                  "Zero-shot: first N test items only (0 = all 10,000)");
  app->add_option("--grounding-size", args->grounding_size,
                  "CPT grounding: FashionRef eval examples")
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunPretrain(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
