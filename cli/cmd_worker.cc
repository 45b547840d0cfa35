// `chromatune worker --coordinator [https://]HOST:PORT [--token-file F] [--ca F]`, started by
// `mpirun -np R` (or srun, or by hand as a one-rank group): runs trials leased from the coordinator
// until SIGTERM drains it (docs/runtime.md).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "cli/command.h"
#include "cli/runner_setup.h"
#include "common/log.h"
#include "coordinator/auth.h"
#include "experiments/runner.h"
#include "worker/crash_notes.h"
#include "worker/gpu_packing.h"
#include "worker/mpi_env.h"
#include "worker/packed_groups.h"
#include "worker/signals.h"
#include "worker/worker.h"

namespace chromatune::cli {
namespace {

struct WorkerArgs {
  std::string coordinator;
  std::string token_file;
  std::string ca_file;
  std::string crash_dir;
  std::string cache_dir = "runs/cache";
  int threads = 0;
  std::string device = RunnerOptions{}.device;
  double long_poll_s = 2;
  double lease_ahead_s = 5;
  std::string label;
  int trials_per_gpu = 1;
};

// The command line of one packed group: these options, without --device (each gets its own)
// and --trials-per-gpu (a child with a chosen device never packs again).
std::vector<std::string> PackedGroupArgs(const WorkerArgs& args) {
  std::vector<std::string> out = {"worker", "--coordinator", args.coordinator};
  auto add = [&out](const char* name, const std::string& value) {
    if (value.empty()) return;
    out.push_back(name);
    out.push_back(value);
  };
  add("--token-file", args.token_file);
  add("--ca", args.ca_file);
  add("--crash-dir", args.crash_dir);
  add("--cache-dir", args.cache_dir);
  if (args.threads > 0) add("--threads", std::to_string(args.threads));
  std::ostringstream poll, ahead;
  poll << args.long_poll_s;
  ahead << args.lease_ahead_s;
  add("--long-poll", poll.str());
  add("--lease-ahead", ahead.str());
  return out;
}

std::string DefaultCrashDir() {
  const char* tmp = std::getenv("TMPDIR");
  return (std::filesystem::path(tmp && *tmp ? tmp : "/tmp") / "chromatune-crash-notes").string();
}

int RunWorkerCommand(const WorkerArgs& args) {
  auto endpoint = protocol::ParseEndpoint(args.coordinator, args.ca_file);
  if (!endpoint.ok()) {
    std::cerr << "chromatune worker: --coordinator: " << endpoint.status().message() << "\n";
    return kExitBadInput;
  }
  worker::WorkerOptions options;
  options.coordinator = *endpoint;
  options.long_poll = std::chrono::milliseconds(static_cast<int64_t>(args.long_poll_s * 1000));
  options.lease_ahead_below =
      std::chrono::milliseconds(static_cast<int64_t>(args.lease_ahead_s * 1000));
  if (!args.token_file.empty()) {
    auto token = coordinator::ReadClientToken(args.token_file);
    if (!token.ok()) {
      std::cerr << "chromatune worker: " << token.status().message() << "\n";
      return kExitBadInput;
    }
    options.token = *token;
  }
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  options.host = host;
  options.crash_dir = args.crash_dir.empty() ? DefaultCrashDir() : args.crash_dir;
  options.label = args.label;

  auto launch = DetectLaunch();
  if (!launch.ok()) {
    std::cerr << "chromatune worker: " << launch.status().message() << "\n";
    return kExitBadInput;
  }
  // One process that sees several GPUs (a hand-started worker, or a Slurm task holding a
  // node's GPUs) runs one group per GPU, `--trials-per-gpu` per GPU, as `chromatune run`
  // does: it becomes their supervisor (worker/packed_groups.h).
  const std::vector<std::string> packed = worker::NodeGroupDevices(
      worker::VisibleGpuCount(), launch->size, args.device, args.trials_per_gpu);
  if (!packed.empty()) {
    worker::InstallSignalHandlers("");
    worker::PackedGroups groups;
    std::error_code ec;
    groups.executable = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    groups.args = PackedGroupArgs(args);
    groups.devices = packed;
    groups.label = args.label;
    spdlog::info("worker: {} packed groups on {} visible GPUs ({} per GPU)", packed.size(),
                 worker::VisibleGpuCount(), args.trials_per_gpu);
    Status s = worker::RunPackedGroups(groups);
    if (!s.ok()) {
      std::cerr << "chromatune worker: " << s.message() << "\n";
      return kExitFailure;
    }
    return kExitOk;
  }
  auto note = worker::CrashNotePath(options.crash_dir, getpid());
  worker::InstallSignalHandlers(note.ok() ? *note : "");

  RunnerOptions runner_options;
  runner_options.cache_dir = args.cache_dir;
  if (args.threads > 0) runner_options.threads = args.threads;
  runner_options.device = args.device;
  TrialRunner runner(runner_options);
  ConfigureRunner(runner);  // the LibTorch methods, when this binary has them

  // A one-rank group needs no MPI: no MPI_Init (and no orted) for `chromatune worker`
  // started by hand or by `mpirun -np 1`.
  std::unique_ptr<MpiEnv> mpi;
  std::unique_ptr<MpiCommunicator> world;
  if (launch->size > 1) {
    auto env = MpiEnv::Init();
    if (!env.ok()) {
      std::cerr << "chromatune worker: " << env.status().ToString() << "\n";
      return kExitFailure;
    }
    mpi = std::move(env).value();
    auto comm = mpi->World();
    if (!comm.ok()) {
      std::cerr << "chromatune worker: " << comm.status().ToString() << "\n";
      return kExitFailure;
    }
    world = std::move(comm).value();
  }
  // Resolved before registering, so `status` shows where the group computes and a device
  // that is not there (`--device cuda` without a GPU) stops the group at once instead of
  // failing every trial it would lease.
  auto device = RunnerDevice(runner_options);
  if (!device.ok()) {
    std::cerr << "chromatune worker: --device: " << device.status().message() << "\n";
    if (note.ok()) std::filesystem::remove(*note);
    if (mpi) MpiEnv::Abort(kExitBadInput);
    return kExitBadInput;
  }
  options.device = *device;
  Status s = worker::RunWorker(options, world.get(), runner);
  world.reset();
  if (note.ok()) std::filesystem::remove(*note);
  if (!s.ok()) {
    std::cerr << "chromatune worker: " << s.ToString() << "\n";
    if (mpi) MpiEnv::Abort(kExitFailure);
    return kExitFailure;
  }
  return kExitOk;
}

const CommandRegistrar kRegisterWorker("worker", [](CLI::App& root) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* app = root.add_subcommand(
      "worker", "Run trials for a coordinator (start under mpirun -np R for R ranks)");
  app->add_option("--coordinator", args->coordinator,
                  "HOST:PORT of the coordinator (https://HOST:PORT when it speaks TLS)")
      ->required();
  app->add_option("--token-file", args->token_file,
                  "file holding the bearer token (\"TOKEN\" or \"USER TOKEN\")");
  app->add_option(
         "--ca", args->ca_file,
         "PEM file of the CA (or the self-signed certificate) that signed the coordinator's TLS "
         "certificate; implies https (default for https:// addresses: the system's CA store)")
      ->check(CLI::ExistingFile);
  app->add_option("--crash-dir", args->crash_dir,
                  "where crash notes of this host go (default $TMPDIR/chromatune-crash-notes)");
  app->add_option("--cache-dir", args->cache_dir, "backbone checkpoint cache")
      ->capture_default_str();
  app->add_option("--threads", args->threads, "LibTorch threads per rank (0: runner default)")
      ->check(CLI::Range(0, 1024));
  app->add_option("--device", args->device,
                  "where trials compute: auto (a GPU when this rank has one), cpu, cuda (the local "
                  "rank's GPU) or cuda:N")
      ->capture_default_str();
  app->add_option("--long-poll", args->long_poll_s, "seconds one lease request may wait for work")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  app->add_option("--label", args->label,
                  "a name for this group, shown by `chromatune status` (chromatune run sets it "
                  "to find groups that never registered)");
  app->add_option("--trials-per-gpu", args->trials_per_gpu,
                  "with --device auto or cuda, a one-rank worker that sees several GPUs (or "
                  "this is above 1) runs one group per visible GPU times this many, each on "
                  "its GPU (docs/gpu.md, \"Packing\")")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app->add_option("--lease-ahead", args->lease_ahead_s,
                  "lease the next round while the current one runs, when the previous round "
                  "took less than this many seconds (0: never)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunWorkerCommand(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
