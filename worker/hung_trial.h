// What a worker rank does when its trial hangs (trial_watchdog.h fired): the trial cannot
// be unwound, so the rank reports it and ends its process, which ends the worker group
// (mpirun and srun --kill-on-bad-exit stop the other ranks). `chromatune run` and the Slurm
// launcher then start the group again; a hand-started mpirun exits non-zero.
//
// Reports (docs/runtime.md, "Hung trials"): the hung trial fails its attempt (not final: it
// is charged one failure and retried elsewhere after the backoff); the trials of the same
// round on other ranks, and those leased ahead, are released as infrastructure re-queues
// (not charged: they were sound). Reports that the coordinator does not take leave the
// leases to expire (the hung trial's expiry then counts as its failure).
#pragma once

#include <chrono>
#include <string>

#include "coordinator/protocol/coordinator_client.h"
#include "worker/round.h"
#include "worker/worker_options.h"

namespace chromatune::worker {

class Leader;

// The exit status of a worker ended by a hung trial.
inline constexpr int kHungTrialExitCode = 1;

// "trial 17 (attempt 2) of sweep S made no step for 31 s (timeout 30s): ending its worker
// group"; every rank prints it, the coordinator stores it as the attempt's error.
std::string HungTrialMessage(const RoundTrial& trial, std::chrono::milliseconds idle);

// Sends the reports above through `client` (the hung trial is round.trials[slot]); each is
// tried a few times within a few seconds. `leader` (rank 0 only, may be null) releases the
// trials leased ahead.
void ReportHungTrial(protocol::CoordinatorClient& client, const Round& round, int slot,
                     const std::string& message, Leader* leader);

// Logs the message, reports (on a connection of its own) and ends the process with
// kHungTrialExitCode.
[[noreturn]] void EndGroupForHungTrial(const WorkerOptions& options, const Round& round, int slot,
                                       Leader* leader, std::chrono::milliseconds idle);

}  // namespace chromatune::worker
