// chromatune: one binary, subcommands registered from cli/cmd_*.cc.
#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "common/heap_tuning.h"
#include "common/log.h"
#include "common/version.h"

namespace chromatune::cli {

std::vector<RegisteredCommand>& CommandRegistry() {
  static std::vector<RegisteredCommand> registry;
  return registry;
}

CommandRegistrar::CommandRegistrar(const char* name, CommandSetupFn setup) {
  CommandRegistry().push_back({name, std::move(setup)});
}

}  // namespace chromatune::cli

int main(int argc, char** argv) {
  using namespace chromatune::cli;
  chromatune::TuneHeapForTensors();  // before any thread or tensor (common/heap_tuning.h)
  chromatune::InitLogging();
  CLI::App app{"chromatune: few-shot prompt tuning vs fine-tuning sweeps"};
  app.set_version_flag("--version", chromatune::kChromatuneVersion);
  app.require_subcommand(1);

  auto& registry = CommandRegistry();
  std::sort(registry.begin(), registry.end(),
            [](const RegisteredCommand& a, const RegisteredCommand& b) { return a.name < b.name; });
  std::vector<CommandSetup> setups;
  for (const auto& command : registry) setups.push_back(command.setup(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  for (const auto& setup : setups) {
    if (setup.app->parsed()) return setup.run();
  }
  std::cerr << app.help();
  return kExitBadInput;
}
