// `chromatune submit SWEEP.yaml --coordinator HOST:PORT [--token-file F]`: validates and
// plans the sweep locally (same checks as `chromatune sweep validate`), then submits it.
// Submitting a sweep name again resumes it (docs/runtime.md).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "coordinator/auth.h"
#include "coordinator/protocol/coordinator_client.h"
#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

namespace chromatune::cli {
namespace {

struct SubmitArgs {
  std::string file;
  std::string coordinator;
  std::string token_file;
};

int RunSubmit(const SubmitArgs& args) {
  auto spec = ParseSweepFile(args.file);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return kExitBadInput;
  }
  auto plan = PlanSweep(*spec);
  if (!plan.ok()) {
    std::cerr << args.file << ": " << plan.status().message() << "\n";
    return kExitBadInput;
  }
  auto endpoint = protocol::ParseEndpoint(args.coordinator);
  if (!endpoint.ok()) {
    std::cerr << "chromatune submit: --coordinator: " << endpoint.status().message() << "\n";
    return kExitBadInput;
  }
  std::string token;
  if (!args.token_file.empty()) {
    auto t = coordinator::ReadClientToken(args.token_file);
    if (!t.ok()) {
      std::cerr << "chromatune submit: " << t.status().message() << "\n";
      return kExitBadInput;
    }
    token = *t;
  }
  protocol::CoordinatorClient client(*endpoint, token);
  auto summary = client.SubmitSweep(spec->yaml_text, args.file);
  if (!summary.ok()) {
    std::cerr << "chromatune submit: " << summary.status().message() << "\n";
    return summary.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
  }
  const auto& s = *summary;
  std::cout << "sweep " << s.value("sweep", std::string()) << " "
            << (s.value("resumed", false) ? "resumed" : "submitted") << " by "
            << s.value("user", std::string()) << ": " << s.value("trials", 0) << " trials ("
            << s.value("created", 0) << " new, " << s.value("reused", 0) << " reused, "
            << s.value("requeued", 0) << " re-queued, " << s.value("unchanged", 0)
            << " unchanged)\n";
  return kExitOk;
}

const CommandRegistrar kRegisterSubmit("submit", [](CLI::App& root) {
  auto args = std::make_shared<SubmitArgs>();
  CLI::App* app = root.add_subcommand("submit", "Validate a sweep file and submit it");
  app->add_option("sweep", args->file, "sweep file (YAML)")->required();
  app->add_option("--coordinator", args->coordinator, "HOST:PORT of the coordinator")->required();
  app->add_option("--token-file", args->token_file,
                  "file holding the bearer token (\"TOKEN\" or \"USER TOKEN\")");
  return CommandSetup{app, [args] { return RunSubmit(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
