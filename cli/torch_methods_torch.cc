// ConfigureRunner with LibTorch: every method of experiments/methods through one
// TrialEngine per runner (its caches live as long as the runner's installed function).
#include <memory>

#include "cli/runner_setup.h"
#include "coordinator/protocol/group_devices.h"
#include "experiments/methods/trial_engine.h"
#include "experiments/models/device_choice.h"

namespace chromatune::cli {

void ConfigureRunner(TrialRunner& runner) {
  auto engine = std::make_shared<methods::TrialEngine>(runner.options());
  runner.SetTorchTrial(
      [engine](const nlohmann::json& item, TrialContext& ctx) { return engine->Run(item, ctx); });
}

Result<nlohmann::json> RunnerDevice(const RunnerOptions& options) {
  CT_ASSIGN_OR_RETURN(const models::DeviceChoice device,
                      models::ResolveDevice(options.device, models::LocalRankFromEnvironment()));
  if (!device.cuda) return protocol::CpuDevice();
  return protocol::CudaDevice(device.index, device.name);
}

}  // namespace chromatune::cli
