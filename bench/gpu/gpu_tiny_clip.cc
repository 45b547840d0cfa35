// gpu_tiny_clip --vocab-size V [--steps N] [--warmup W]: the default builtin:tiny-clip
// pretrained on CUDA device 0 (bench/gpu/tiny_clip_bench.h) for W untimed then N timed
// contrastive steps, twice from the same seed:
//   ddp_nccl  gradients through the bucketed ddp::GradientReducer (the data-parallel path
//             of the trial trainer, experiments/methods/trainer.cc) over a one-rank
//             NcclCommunicator bootstrapped over a LocalCommunicator, so no MPI;
//   plain     no gradient sync (what a one-process `chromatune pretrain` does).
// Prints one JSON object on stdout; progress and errors go to stderr. Exit status 0 when both
// runs finished with finite losses and every bucket was launched from a hook during backward;
// 2 for a bad command line.
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/gpu/tiny_clip_bench.h"
#include "worker/nccl_communicator.h"

namespace chromatune {
namespace {

// Parses "--flag VALUE" pairs into `options`; false (with a message) on anything else.
bool ParseArgs(int argc, char** argv, bench::TinyClipBenchOptions* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    int64_t* target = flag == "--vocab-size" ? &options->vocab_size
                      : flag == "--steps"    ? &options->steps
                      : flag == "--warmup"   ? &options->warmup
                                             : nullptr;
    char* end = nullptr;
    if (target == nullptr || i + 1 >= argc) {
      std::fprintf(stderr, "gpu_tiny_clip: unknown argument or missing value: %s\n", argv[i]);
      return false;
    }
    *target = std::strtoll(argv[++i], &end, 10);
    if (end == argv[i] || *end != '\0') {
      std::fprintf(stderr, "gpu_tiny_clip: %s needs an integer, got \"%s\"\n", flag.c_str(),
                   argv[i]);
      return false;
    }
  }
  return true;
}

nlohmann::json RunJson(const bench::TinyClipBenchResult& r) {
  return {{"step_ms", r.step_ms},
          {"first_loss", r.first_loss},
          {"final_loss", r.final_loss},
          {"buckets", r.buckets},
          {"launched_in_backward", r.launched_in_backward}};
}

int Main(int argc, char** argv) {
  bench::TinyClipBenchOptions options;
  if (!ParseArgs(argc, argv, &options)) return 2;
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "gpu_tiny_clip: LibTorch sees no CUDA device\n");
    return 1;
  }
  const torch::Device device(torch::kCUDA, 0);
  LocalCommunicator bootstrap;
  auto comm = NcclCommunicator::Create(bootstrap, 0);
  if (!comm.ok()) {
    std::fprintf(stderr, "gpu_tiny_clip: %s\n", comm.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "gpu_tiny_clip: ddp_nccl run (%lld + %lld steps)\n",
               static_cast<long long>(options.warmup), static_cast<long long>(options.steps));
  auto ddp = bench::TimeTinyClipPretraining(options, device, comm.value().get());
  std::fprintf(stderr, "gpu_tiny_clip: plain run\n");
  auto plain = bench::TimeTinyClipPretraining(options, device, nullptr);
  nlohmann::json out = {{"model", "builtin:tiny-clip (default PretrainSpec)"},
                        {"device", "cuda:0"},
                        {"vocab_size", options.vocab_size},
                        {"warmup", options.warmup},
                        {"steps", options.steps}};
  bool ok = true;
  for (const auto* run : {&ddp, &plain}) {
    const char* name = run == &ddp ? "ddp_nccl" : "plain";
    if (!run->ok()) {
      std::fprintf(stderr, "gpu_tiny_clip: %s: %s\n", name, run->status().ToString().c_str());
      out[name] = {{"error", run->status().ToString()}};
      ok = false;
      continue;
    }
    out[name] = RunJson(run->value());
    out["parameters"] = run->value().parameters;
    out["batch_size"] = run->value().batch_size;
    out["context_length"] = run->value().context_length;
    out["image_size"] = run->value().image_size;
  }
  if (ddp.ok() && ddp->launched_in_backward != ddp->buckets) {
    std::fprintf(stderr, "gpu_tiny_clip: only %zu of %zu buckets launched during backward\n",
                 ddp->launched_in_backward, ddp->buckets);
    ok = false;
  }
  out["check"] = ok ? "ok" : "failed";
  std::printf("%s\n", out.dump().c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace chromatune

int main(int argc, char** argv) { return chromatune::Main(argc, argv); }
