// TrialRunner: runs one plan item (one trial) on the calling rank, the same code path for
// `chromatune trial`, embedded runs and worker groups.
//
// A plan item is the JSON object that `chromatune sweep plan --format json` lists under
// "items": {"index", "key", "sweep", "task", "dataset", "backbone", "method", "shots",
// "shot_unit", "data_seed", "train_seed", "params": {...resolved method parameters...},
// "resources": {"ranks": R}, ...}. Every rank of the trial's communicator calls Run with
// the identical item; only rank 0's result is meaningful to the caller.
//
// A runner is owned by one worker process and keeps backbones, datasets and frozen image
// features cached across trials. Not thread-safe: one trial at a time per runner.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/trial_result.h"

namespace chromatune {

struct RunnerOptions {
  // Where pretrained backbone checkpoints are cached (by spec hash). Created if missing.
  std::string cache_dir = "runs/cache";
  // LibTorch intra-op threads per rank (LibTorch otherwise defaults to 1 here).
  int threads = 2;
  // Where trials compute: "auto" (a GPU when the rank has one, else the CPU), "cpu",
  // "cuda" (this rank's GPU: local rank modulo the visible GPUs) or "cuda:N"
  // (experiments/models/device_choice.h).
  std::string device = "auto";
};

struct TrialContext {
  // Never null; a LocalCommunicator for a single-rank trial.
  Communicator* comm = nullptr;
  // Called on rank 0 with the fraction done (0..1) and a short note; may be empty.
  std::function<void(double fraction, const std::string& note)> progress;
  // Polled between steps; when it returns true the trial stops with kCancelled (also when
  // the search stopped it at a rung: the worker folds that answer in).
  std::function<bool()> cancelled;
  // Epochs after which the search (ASHA, experiments/search/) wants the objective: rung r
  // at rung_epochs[r], ascending; empty: none. The same on every rank of the trial.
  std::vector<int64_t> rung_epochs;
  // Called on rank 0 after epoch rung_epochs[r] with r, that epoch and the metrics then
  // ("accuracy": the evaluation set's, as the final metric); may be empty. The trial goes on
  // training; a stop comes back through `cancelled`.
  std::function<void(int rung, int64_t epoch, const std::map<std::string, double>& metrics)>
      report_rung;
  // Trials on CUDA: the group's device communicator (NCCL) on CUDA device `device`, created
  // on the first call (a collective: every rank calls it at the same point of the trial)
  // and owned by the caller; empty where the binary has no NCCL. MPI (`comm`) stays the
  // control plane and the communicator of host memory.
  std::function<Result<Communicator*>(int device)> device_comm;
};

// Signature of the LibTorch trial implementation (experiments/ LibTorch library); the
// runner itself stays free of LibTorch so the runtime builds and tests without it.
using TorchTrialFn =
    std::function<Result<TrialResult>(const nlohmann::json& item, TrialContext& ctx)>;

class TrialRunner {
 public:
  explicit TrialRunner(RunnerOptions options);
  ~TrialRunner();
  TrialRunner(const TrialRunner&) = delete;
  TrialRunner& operator=(const TrialRunner&) = delete;

  // Installs the LibTorch implementation (done by the binary when built with LibTorch).
  void SetTorchTrial(TorchTrialFn fn) { torch_trial_ = std::move(fn); }

  // Runs the item. Methods: "noop" here (sleep_ms, value), every other method through the
  // LibTorch implementation; without it, kFailedPrecondition naming the method.
  Result<TrialResult> Run(const nlohmann::json& item, TrialContext& ctx);

  const RunnerOptions& options() const { return options_; }

 private:
  RunnerOptions options_;
  TorchTrialFn torch_trial_;
};

}  // namespace chromatune
