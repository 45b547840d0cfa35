// ct_pretrain_tool SPEC|builtin:NAME [--cache-dir DIR] [--threads N] [--evaluate]:
// `chromatune pretrain` without the rest of the binary (it links only the backbone
// library), so the pretraining benchmark and the recorded model figures can be produced
// from a build of ct_experiments_torch alone. Output: the same JSON summary.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "common/heap_tuning.h"
#include "experiments/models/pretrain_run.h"

int main(int argc, char** argv) {
  using chromatune::models::PretrainRunOptions;
  chromatune::TuneHeapForTensors();  // as chromatune's main does
  if (argc < 2) {
    std::cerr << "usage: ct_pretrain_tool SPEC.yaml|builtin:NAME [--cache-dir DIR] "
                 "[--threads N] [--evaluate] [--eval-limit N] [--grounding-size N]\n";
    return 2;
  }
  PretrainRunOptions options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--cache-dir" && has_value) {
      options.cache_dir = argv[++i];
    } else if (arg == "--threads" && has_value) {
      options.threads = std::atoi(argv[++i]);
    } else if (arg == "--eval-limit" && has_value) {
      options.zero_shot_limit = std::atoll(argv[++i]);
    } else if (arg == "--grounding-size" && has_value) {
      options.grounding_size = std::atoll(argv[++i]);
    } else if (arg == "--evaluate") {
      options.evaluate = true;
    } else {
      std::cerr << "ct_pretrain_tool: unknown argument \"" << arg << "\"\n";
      return 2;
    }
  }
  options.progress = [](double fraction, const std::string& note) {
    std::fprintf(stderr, "pretrain: %5.1f%% %s\n", 100.0 * fraction, note.c_str());
  };
  auto summary = chromatune::models::RunPretrain(argv[1], options);
  if (!summary.ok()) {
    std::cerr << "ct_pretrain_tool: " << summary.status().ToString() << "\n";
    return 1;
  }
  std::cout << summary->dump(2) << std::endl;
  return 0;
}
