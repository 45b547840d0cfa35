// Subcommand registry of the one `chromatune` binary. Each subcommand lives in its own
// cli/cmd_*.cc and registers itself with a static CommandRegistrar (the CLI sources are
// compiled straight into the executable, so the registrars are always linked).
//
// Exit codes: 0 success, 1 a run that failed, 2 bad input (usage, invalid file or spec).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

// The exit code of a command that read a store and failed with `status`: trouble of the
// machine (I/O, unavailable, internal, out of resources) is a failed run; everything else
// (a missing file, an unknown sweep or metric) is bad input.
inline int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kIoError:
    case StatusCode::kUnavailable:
    case StatusCode::kInternal:
    case StatusCode::kResourceExhausted:
      return kExitFailure;
    default:
      return kExitBadInput;
  }
}

// Runs the chosen subcommand; returns the process exit code.
using CommandRunFn = std::function<int()>;

struct CommandSetup {
  CLI::App* app = nullptr;  // the subcommand added to the root app
  CommandRunFn run;         // invoked when `app` was parsed
};

// Adds one subcommand (with its options) to `root`.
using CommandSetupFn = std::function<CommandSetup(CLI::App& root)>;

struct CommandRegistrar {
  CommandRegistrar(const char* name, CommandSetupFn setup);
};

struct RegisteredCommand {
  std::string name;
  CommandSetupFn setup;
};
std::vector<RegisteredCommand>& CommandRegistry();

}  // namespace chromatune::cli
