// Submitting and cancelling batch jobs through Slurm's own clients (sbatch, scancel), run as
// real processes; errors carry what Slurm said on stderr.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::worker {

// The job id in `sbatch --parsable` output: "JOBID" or "JOBID;CLUSTER" on the last line.
// kInternal quoting the output when there is none.
Result<std::string> ParseSbatchJobId(const std::string& out);

// `sbatch --parsable OPTIONS... SCRIPT`; returns the job id. Errors: kUnavailable when sbatch
// cannot start (not on PATH), kFailedPrecondition quoting sbatch's stderr when it refuses.
Result<std::string> SubmitBatchScript(const std::string& script,
                                      const std::vector<std::string>& options);

// `scancel JOB`; kFailedPrecondition quoting scancel's stderr when it fails.
Status CancelJob(const std::string& job_id);

}  // namespace chromatune::worker
