// The Slurm job the worker tests start from: a valid job of the colour study that starts its
// own coordinator (shared paths under /shared/ct). Tests change fields from there.
#pragma once

#include "worker/slurm_job.h"

namespace chromatune::worker {

inline SlurmJob ExampleSlurmJob() {
  SlurmJob job;
  job.sweep_name = "colour study";
  job.executable = "/opt/chromatune/bin/chromatune";
  job.log_dir = "/shared/ct/logs";
  job.db = "/shared/ct/runs.db";
  job.sweep_file = "/shared/ct/logs/sweep.yaml";
  job.token_file = "/home/ann/.chromatune/tokens";
  return job;
}

}  // namespace chromatune::worker
