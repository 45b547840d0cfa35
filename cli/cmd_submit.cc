// `chromatune submit SWEEP.yaml --coordinator [https://]HOST:PORT [--token-file F] [--ca F]
// [--wait]`: validates
// and plans the sweep locally (same checks as `chromatune sweep validate`), then submits it.
// Submitting a sweep name again resumes it (docs/runtime.md). With `--launcher slurm` it also
// submits worker groups (and, without --coordinator, a coordinator) as Slurm batch jobs
// (docs/cluster.md).
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/submit.h"
#include "coordinator/auth.h"
#include "experiments/sweep/plan.h"

namespace chromatune::cli {
namespace {

int RunSubmit(const SubmitArgs& args) {
  auto spec = ParseSweepFile(args.file);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return kExitBadInput;
  }
  for (const auto& warning : spec->warnings) std::cerr << "warning: " << warning << "\n";
  auto plan = PlanSweep(*spec);
  if (!plan.ok()) {
    std::cerr << args.file << ": " << plan.status().message() << "\n";
    return kExitBadInput;
  }
  if (args.launcher == "slurm") return SubmitWithSlurm(args, *spec);
  if (args.coordinator.empty()) {
    std::cerr << "chromatune submit: --coordinator is required (unless --launcher slurm starts "
                 "a coordinator job)\n";
    return kExitBadInput;
  }
  return SubmitToCoordinator(args, *spec);
}

}  // namespace

Result<std::unique_ptr<protocol::CoordinatorClient>> ConnectTo(const std::string& coordinator,
                                                               const std::string& token_file,
                                                               const std::string& ca_file) {
  auto endpoint = protocol::ParseEndpoint(coordinator, ca_file);
  if (!endpoint.ok()) return endpoint.status().WithContext("--coordinator");
  std::string token;
  if (!token_file.empty()) {
    CT_ASSIGN_OR_RETURN(token, coordinator::ReadClientToken(token_file));
  }
  return std::make_unique<protocol::CoordinatorClient>(*endpoint, token);
}

int SubmitToCoordinator(const SubmitArgs& args, const SweepSpec& spec) {
  auto connected = ConnectTo(args.coordinator, args.token_file, args.ca_file);
  if (!connected.ok()) {
    std::cerr << "chromatune submit: " << connected.status().message() << "\n";
    return kExitBadInput;
  }
  protocol::CoordinatorClient& client = **connected;
  client.set_request_timeout(
      std::chrono::milliseconds(static_cast<int64_t>(args.request_timeout_s * 1000)));
  auto summary = SubmitAndAwait(client, spec, args.file);
  if (!summary.ok()) {
    std::cerr << "chromatune submit: " << summary.status().message() << "\n";
    return summary.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
  }
  const auto& s = *summary;
  std::cout << "sweep " << s.value("sweep", std::string()) << " "
            << (s.value("resumed", false) ? "resumed" : "submitted") << " by "
            << s.value("user", std::string()) << ": " << s.value("trials", 0) << " trials ("
            << s.value("created", 0) << " new, " << s.value("reused", 0) << " reused, "
            << s.value("requeued", 0) << " re-queued, " << s.value("unchanged", 0) << " unchanged)"
            << std::endl;
  return args.wait ? WaitForSweep(client, spec.name) : kExitOk;
}

namespace {

const CommandRegistrar kRegisterSubmit("submit", [](CLI::App& root) {
  auto args = std::make_shared<SubmitArgs>();
  auto& slurm = args->slurm;
  CLI::App* app = root.add_subcommand("submit", "Validate a sweep file and submit it");
  app->add_option("sweep", args->file, "sweep file (YAML)")->required();
  auto* coordinator = app->add_option("--coordinator", args->coordinator,
                                      "HOST:PORT of the coordinator (with --launcher slurm: "
                                      "of an existing one, else a coordinator job is started)");
  app->add_option("--token-file", args->token_file,
                  "file holding the bearer token (\"TOKEN\" or \"USER TOKEN\")");
  app->add_option("--ca", args->ca_file,
                  "PEM file of the CA (or the self-signed certificate) that signed the "
                  "coordinator's TLS certificate; implies https (default for https:// "
                  "addresses: the system's CA store)")
      ->check(CLI::ExistingFile);
  app->add_option("--request-timeout", args->request_timeout_s,
                  "seconds one request to the coordinator may take; a big sweep is answered at "
                  "once and its progress polled, with no limit on the whole submission")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_flag("--wait", args->wait,
                "after submitting, wait until every trial has finished (exit 1 if any failed)");
  auto* launcher = app->add_option("--launcher", args->launcher,
                                   "also start worker groups as batch jobs of this launcher")
                       ->check(CLI::IsMember({"slurm"}));
  // Options of --launcher slurm (docs/cluster.md); defaults in worker/slurm_job.h.
  app->add_flag("--dry-run", args->dry_run, "print the batch scripts; submit nothing")
      ->needs(launcher);
  app->add_option("--partition", slurm.partition, "Slurm partition (default: the cluster's)")
      ->needs(launcher);
  app->add_option("--groups", slurm.groups, "worker groups")
      ->needs(launcher)
      ->capture_default_str();
  app->add_option("--ranks", slurm.ranks, "ranks per worker group (srun --ntasks)")
      ->needs(launcher)
      ->capture_default_str();
  app->add_option("--groups-per-job", slurm.groups_per_job,
                  "worker groups per batch job, as concurrent srun steps")
      ->needs(launcher)
      ->capture_default_str();
  app->add_option("--gpus-per-rank", slurm.gpus_per_rank, "GPUs per rank (--gpus-per-task)")
      ->needs(launcher)
      ->capture_default_str();
  app->add_option("--trials-per-gpu", slurm.trials_per_gpu,
                  "trials per GPU: a one-rank group holding several GPUs (--gpus-per-rank) runs "
                  "one worker group per GPU times this many (chromatune worker --trials-per-gpu)")
      ->needs(launcher)
      ->capture_default_str();
  app->add_option("--time", slurm.time_limit, "time limit of every job (sbatch --time)")
      ->needs(launcher);
  app->add_option("--mpi", slurm.mpi, "srun --mpi plugin for groups of several ranks")
      ->needs(launcher)
      ->capture_default_str();
  app->add_option("--log-dir", slurm.log_dir,
                  "scripts and logs on a shared filesystem (default: chromatune-slurm/JOBNAME)")
      ->needs(launcher);
  app->add_option("--db", slurm.db, "result store of the coordinator job (default: LOGDIR/runs.db)")
      ->needs(launcher)
      ->excludes(coordinator);
  app->add_option("--coordinator-listen", slurm.coordinator_listen,
                  "listen address of the coordinator job")
      ->needs(launcher)
      ->excludes(coordinator)
      ->capture_default_str();
  app->add_option("--worker-token-file", slurm.worker_token_file,
                  "token the worker groups present (role worker) with an existing "
                  "--coordinator (default: --token-file); a coordinator job makes its own")
      ->needs(launcher)
      ->needs(coordinator)
      ->check(CLI::ExistingFile);
  auto* cert = app->add_option("--tls-cert", slurm.tls_cert,
                               "TLS certificate of the coordinator job (default beyond "
                               "loopback: one the job makes for its node)")
                   ->needs(launcher)
                   ->excludes(coordinator)
                   ->check(CLI::ExistingFile);
  app->add_option("--tls-key", slurm.tls_key, "private key of --tls-cert")
      ->needs(cert)
      ->check(CLI::ExistingFile);
  app->add_option("--lease-timeout", slurm.lease_timeout_s,
                  "lease timeout of the coordinator job, in seconds")
      ->needs(launcher)
      ->excludes(coordinator)
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunSubmit(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
