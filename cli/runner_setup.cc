// ConfigureRunner for a binary built without LibTorch: the runner keeps only `noop`, and
// any other method fails with kFailedPrecondition naming it (experiments/runner.h).
#include "cli/runner_setup.h"

#include "coordinator/protocol/group_devices.h"

#ifndef CHROMATUNE_WITH_TORCH
namespace chromatune::cli {

void ConfigureRunner(TrialRunner&) {}

// Without LibTorch only `noop` runs, on the CPU: a GPU asked for is refused, never replaced.
Result<nlohmann::json> RunnerDevice(const RunnerOptions& options) {
  if (options.device.rfind("cuda", 0) == 0) {
    return InvalidArgument("device \"" + options.device +
                           "\": no CUDA device is visible to this process (a build without "
                           "LibTorch runs trials on the CPU only)");
  }
  return protocol::CpuDevice();
}

}  // namespace chromatune::cli
#endif
