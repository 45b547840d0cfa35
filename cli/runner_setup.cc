// ConfigureRunner for a binary built without LibTorch: the runner keeps only `noop`, and
// any other method fails with kFailedPrecondition naming it (experiments/runner.h).
#include "cli/runner_setup.h"

#ifndef CHROMATUNE_WITH_TORCH
namespace chromatune::cli {

void ConfigureRunner(TrialRunner&) {}

}  // namespace chromatune::cli
#endif
