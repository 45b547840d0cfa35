// The batch scripts of `chromatune submit --launcher slurm` (docs/cluster.md shows them as
// `--dry-run` prints them).
//
// Coordinator job: runs `chromatune coordinator --address-file`, submits the sweep once the
// address is there, waits with `chromatune submit --wait` until every trial has finished,
// then writes the ended file (the worker jobs drain and end) and stops the coordinator.
// It is not requeued: a requeued coordinator could come back at another address.
//
// Worker job (a job array when there is more than one): waits for the address file (or uses
// the given coordinator), starts its groups as srun steps of R ranks (`srun --exact`, one
// log file per group, appended across requeues), restarts a group that dies up to
// kGroupRestarts times, and drains on SIGTERM: scancel, preemption (the job is requeued,
// `#SBATCH --requeue`) and kDrainBeforeLimitS seconds before the time limit
// (`--signal=B:TERM@...`) all reach the worker ranks' SIGTERM path (finish or release the
// leased trials, then exit).
#pragma once

#include <string>

#include "worker/slurm_job.h"

namespace chromatune::worker {

// Seconds before the time limit at which Slurm asks a worker job to drain.
inline constexpr int kDrainBeforeLimitS = 120;
// How often a worker job starts a group again that exited without being drained.
inline constexpr int kGroupRestarts = 5;

// `text` as one word of bash: single-quoted, with embedded quotes escaped.
std::string ShellQuote(const std::string& text);

// The scripts for a job that passed ValidateSlurmJob.
std::string CoordinatorJobScript(const SlurmJob& job);
std::string WorkerJobScript(const SlurmJob& job);

}  // namespace chromatune::worker
