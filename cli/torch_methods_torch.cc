// ConfigureRunner with LibTorch: every method of experiments/methods through one
// TrialEngine per runner (its caches live as long as the runner's installed function).
#include <memory>

#include "cli/runner_setup.h"
#include "experiments/methods/trial_engine.h"

namespace chromatune::cli {

void ConfigureRunner(TrialRunner& runner) {
  auto engine = std::make_shared<methods::TrialEngine>(runner.options());
  runner.SetTorchTrial(
      [engine](const nlohmann::json& item, TrialContext& ctx) { return engine->Run(item, ctx); });
}

}  // namespace chromatune::cli
