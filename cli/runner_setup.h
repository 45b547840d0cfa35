// ConfigureRunner: installs into a TrialRunner every method implementation this binary was
// built with. With LibTorch (cli/torch_methods_torch.cc) that is the LibTorch trial engine
// (experiments/methods/trial_engine.h), which keeps backbones, task data and frozen image
// features cached for the runner's lifetime; without LibTorch (cli/runner_setup.cc) nothing
// is installed and only the runner's own `noop` method runs.
//
// Call once per runner, before its first trial (`chromatune trial`, embedded runs, worker
// processes). LibTorch-free header.
#pragma once

#include "experiments/runner.h"

namespace chromatune::cli {

void ConfigureRunner(TrialRunner& runner);

}  // namespace chromatune::cli
