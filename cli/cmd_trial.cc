// `chromatune trial --spec JSON`: runs one plan item (one element of
// `chromatune sweep plan --format json`'s "items", or a hand-written object with the same
// fields) standalone on one rank, pretraining its backbone first when the checkpoint is
// missing, and prints the result as JSON (TrialResultToJson) on stdout.
//
// --spec takes the JSON text itself or @FILE. Exit codes: 0 done, 2 bad input (unparsable
// JSON, an invalid item or parameter: the message names the field), 1 a trial that failed.
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "cli/runner_setup.h"
#include "common/communicator.h"
#include "experiments/runner.h"
#include "worker/device_comm.h"

namespace chromatune::cli {
namespace {

struct TrialArgs {
  std::string spec;
  std::string cache_dir = RunnerOptions{}.cache_dir;
  int threads = RunnerOptions{}.threads;
  std::string device = RunnerOptions{}.device;
  bool quiet = false;
};

// The JSON text of --spec: the argument itself, or the contents of FILE for "@FILE".
bool ReadSpecText(const std::string& arg, std::string* text, std::string* origin) {
  if (arg.empty() || arg[0] != '@') {
    *text = arg;
    *origin = "--spec";
    return true;
  }
  *origin = arg.substr(1);
  std::ifstream in(*origin, std::ios::binary);
  if (!in) {
    std::cerr << "chromatune trial: cannot read spec file " << *origin << "\n";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

int RunTrial(const TrialArgs& args) {
  std::string text, origin;
  if (!ReadSpecText(args.spec, &text, &origin)) return kExitBadInput;
  nlohmann::json item;
  try {
    item = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range ("1E400")
    std::cerr << "chromatune trial: " << origin << ": not valid JSON: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (!item.is_object()) {
    std::cerr << "chromatune trial: " << origin << ": expected a JSON object (one plan item)\n";
    return kExitBadInput;
  }
  RunnerOptions options;
  options.cache_dir = args.cache_dir;
  options.threads = args.threads;
  options.device = args.device;
  TrialRunner runner(options);
  ConfigureRunner(runner);
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  // A one-rank trial reduces nothing, unless CHROMATUNE_REDUCE_ONE_RANK=1 asks it to (figure
  // (d) of bench/gpu/run.sh): on a GPU, over a one-rank NCCL communicator made here.
  std::unique_ptr<Communicator> device_comm;
  ctx.device_comm = worker::DeviceCommFor(comm, &device_comm);
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  if (!args.quiet) {
    ctx.progress = [&last](double fraction, const std::string& note) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::seconds(2) && fraction < 1.0) return;
      last = now;
      std::cerr << "[" << static_cast<int>(fraction * 100) << "%] " << note << "\n";
    };
  }
  Result<TrialResult> result = runner.Run(item, ctx);
  if (!result.ok()) {
    std::cerr << "chromatune trial: " << origin << ": " << result.status().ToString() << "\n";
    return result.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
  }
  std::cout << TrialResultToJson(*result).dump() << "\n";
  return kExitOk;
}

const CommandRegistrar kRegisterTrial("trial", [](CLI::App& root) {
  auto args = std::make_shared<TrialArgs>();
  CLI::App* app = root.add_subcommand("trial", "Run one plan item standalone; print its result");
  app->add_option("--spec", args->spec, "the plan item as JSON text, or @FILE")->required();
  app->add_option("--cache-dir", args->cache_dir, "backbone checkpoint cache")
      ->capture_default_str();
  app->add_option("--threads", args->threads, "LibTorch threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--device", args->device,
                  "where trials compute: auto (a GPU when this rank has one), cpu, cuda (the local "
                  "rank's GPU) or cuda:N")
      ->capture_default_str();
  app->add_flag("--quiet", args->quiet, "no progress lines on stderr");
  return CommandSetup{app, [args] { return RunTrial(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
