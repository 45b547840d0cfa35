// ConfigureRunner for a binary built without LibTorch: the runner keeps only `noop`, and
// any other method fails with kFailedPrecondition naming it (experiments/runner.h).
#include "cli/runner_setup.h"

#include "coordinator/protocol/group_devices.h"

#ifndef CHROMATUNE_WITH_TORCH
namespace chromatune::cli {

void ConfigureRunner(TrialRunner&) {}

Result<nlohmann::json> RunnerDevice(const RunnerOptions&) { return protocol::CpuDevice(); }

}  // namespace chromatune::cli
#endif
