// `chromatune pretrain SPEC.yaml|builtin:NAME`: pretrains a builtin backbone (or finds it in
// the cache by its spec hash), prints progress on stderr and a JSON summary with the
// checkpoint path on stdout; --evaluate adds zero-shot classification and CPT zero-shot
// grounding figures (experiments/models/pretrain_run.h).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "experiments/models/pretrain_run.h"

namespace chromatune::cli {
namespace {

struct PretrainArgs {
  std::string spec;
  models::PretrainRunOptions run;
};

int RunPretrainCommand(PretrainArgs args) {
  args.run.progress = [](double fraction, const std::string& note) {
    std::fprintf(stderr, "pretrain: %5.1f%% %s\n", 100.0 * fraction, note.c_str());
  };
  auto summary = models::RunPretrain(args.spec, args.run);
  if (!summary.ok()) {
    std::cerr << "chromatune pretrain: " << summary.status().ToString() << "\n";
    const StatusCode code = summary.status().code();
    return code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound ? kExitBadInput
                                                                                 : kExitFailure;
  }
  std::cout << summary->dump(2) << std::endl;
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
  app->add_option("--cache-dir", args->run.cache_dir, "Checkpoint cache directory")
      ->capture_default_str();
  app->add_option("--threads", args->run.threads, "LibTorch threads (overrides the spec)");
  args->run.device = "auto";  // as `worker` and `trial`: the GPU when there is one
  app->add_option("--device", args->run.device,
                  "where pretraining computes: auto (a GPU when there is one), cpu, cuda or "
                  "cuda:N; the checkpoint is the same file whatever the device")
      ->capture_default_str();
  app->add_flag("--evaluate", args->run.evaluate,
                "Measure zero-shot accuracy and CPT zero-shot grounding afterwards");
  app->add_option("--eval-limit", args->run.zero_shot_limit,
                  "Zero-shot: first N test items only (0 = all 10,000)");
  app->add_option("--grounding-size", args->run.grounding_size,
                  "CPT grounding: FashionRef eval examples")
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunPretrainCommand(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
