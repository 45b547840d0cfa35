// The parts of `chromatune submit` (cli/cmd_submit.cc): submitting to a coordinator,
// waiting for a sweep to finish, and submitting worker groups (and a coordinator) as Slurm
// batch jobs (docs/cluster.md).
#pragma once

#include <memory>
#include <string>

#include "coordinator/protocol/coordinator_client.h"
#include "experiments/sweep/spec.h"
#include "worker/slurm_job.h"

namespace chromatune::cli {

struct SubmitArgs {
  std::string file;
  std::string coordinator;
  std::string token_file;
  std::string ca_file;   // --ca: verify the coordinator's TLS certificate with this CA
  std::string launcher;  // empty, or "slurm"
  bool wait = false;
  double request_timeout_s = 30;  // --request-timeout: one HTTP request's limit
  bool dry_run = false;
  worker::SlurmJob slurm;  // --launcher slurm: the options as given (paths not yet absolute)
};

// A client of `coordinator` ("[https://]HOST:PORT") presenting the token of `token_file`
// (none when empty), verifying TLS with `ca_file` (a CA file means TLS; empty: the system's
// store for https://); kInvalidArgument naming the option when one is bad.
Result<std::unique_ptr<protocol::CoordinatorClient>> ConnectTo(const std::string& coordinator,
                                                               const std::string& token_file,
                                                               const std::string& ca_file);

// Submits the validated sweep to args.coordinator and prints the coordinator's summary;
// with args.wait, then waits for it (WaitForSweep). Returns the exit code.
int SubmitToCoordinator(const SubmitArgs& args, const SweepSpec& spec);

// Submits the sweep and waits until the coordinator has stored it, printing its progress
// to stderr while it is planned: no time limit while the coordinator answers; a timed-out or
// lost request is followed by asking for the submission's state (and by submitting again when
// the coordinator does not have it: submissions are idempotent). Returns the summary
// {"sweep", "state": "ready", "trials", "created", ...} or the error.
Result<nlohmann::json> SubmitAndAwait(protocol::CoordinatorClient& client, const SweepSpec& spec,
                                      const std::string& origin);

// Polls the coordinator's status until every trial of `sweep` has finished, printing a line
// whenever the counts change. Exit 0 when none failed, 1 when some failed, when the sweep is
// cancelled or unknown, or when the coordinator stays unreachable for a minute.
int WaitForSweep(protocol::CoordinatorClient& client, const std::string& sweep);

// `--launcher slurm`: writes the batch scripts into the log directory and submits them with
// sbatch (a coordinator job unless args.coordinator names one, whose sweep is submitted
// first); with args.dry_run prints them and submits nothing. Returns the exit code.
int SubmitWithSlurm(const SubmitArgs& args, const SweepSpec& spec);

}  // namespace chromatune::cli
