// ConfigureRunner: installs into a TrialRunner every method implementation this binary was
// built with. With LibTorch (cli/torch_methods_torch.cc) that is the LibTorch trial engine
// (experiments/methods/trial_engine.h), which keeps backbones, task data and frozen image
// features cached for the runner's lifetime; without LibTorch (cli/runner_setup.cc) nothing
// is installed and only the runner's own `noop` method runs.
//
// Call once per runner, before its first trial (`chromatune trial`, embedded runs, worker
// processes). LibTorch-free header.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/runner.h"

namespace chromatune::cli {

void ConfigureRunner(TrialRunner& runner);

// Where trials of a runner with `options` compute on this rank, in the form a worker group
// registers (coordinator/protocol/group_devices.h): options.device resolved for the local
// rank as the trials resolve it (experiments/models/device_choice.h), so `cuda` without a
// GPU is the same error naming the request. Without LibTorch only `noop` runs: the CPU.
Result<nlohmann::json> RunnerDevice(const RunnerOptions& options);

}  // namespace chromatune::cli
