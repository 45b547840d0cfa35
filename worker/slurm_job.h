// SlurmJob: what `chromatune submit --launcher slurm` asks of Slurm (docs/cluster.md), and
// the checks that every value can go into a batch script as it stands.
//
// Worker groups are srun steps of `ranks` ranks, `groups_per_job` steps to a batch job;
// groups / groups_per_job jobs make a job array when there is more than one. Without an
// existing coordinator (`coordinator` empty) a coordinator job serves the sweep and writes
// its address to `AddressFile()`, which the worker jobs wait for.
#pragma once

#include <string>

#include "common/status.h"

namespace chromatune::worker {

struct SlurmJob {
  std::string sweep_name;  // the sweep's name; job names derive from it
  std::string executable;  // absolute path of chromatune, as the compute nodes see it
  std::string log_dir;     // absolute; scripts, logs, the address file (shared filesystem)
  std::string partition;   // empty: the cluster's default partition
  std::string time_limit;  // sbatch --time; empty: the partition's default
  int groups = 1;          // worker groups
  int groups_per_job = 1;  // srun steps per worker job (divides `groups`)
  int ranks = 1;           // ranks per group (srun --ntasks)
  int gpus_per_rank = 0;   // --gpus-per-task; 0: no GPUs requested
  // `chromatune worker --trials-per-gpu`: a one-rank group whose task holds several GPUs
  // (gpus_per_rank > 1) runs one group per GPU, this many per GPU (worker/gpu_packing.h).
  int trials_per_gpu = 1;
  std::string mpi = "pmix";  // srun --mpi=TYPE for groups of more than one rank
  std::string token_file;    // absolute; empty: no token (a loopback coordinator)
  // The token the worker groups present (absolute): --worker-token-file with an existing
  // coordinator (default: token_file); for a coordinator job, the worker token the launcher
  // made (WorkerTokenFile(), served through CoordinatorTokenFile()).
  std::string worker_token_file;
  // TLS: the coordinator job's certificate and key (absolute; empty: none, or one the job
  // makes for its node when it listens beyond loopback: MakesCertificate()), and the CA file
  // clients verify the coordinator with (empty: the system's store, or the made certificate).
  std::string tls_cert;
  std::string tls_key;
  std::string ca_file;

  // An existing coordinator, "[https://]HOST:PORT"; empty: submit a coordinator job.
  std::string coordinator;
  // The coordinator job only: its store, sweep file copy, listen address, lease timeout.
  std::string db;                                // absolute
  std::string sweep_file;                        // absolute
  std::string coordinator_listen = "0.0.0.0:0";  // port 0: any free port
  double lease_timeout_s = 30;

  bool coordinator_job() const { return coordinator.empty(); }
  int worker_jobs() const { return groups / groups_per_job; }
  // Files in log_dir shared by the jobs.
  std::string AddressFile() const { return log_dir + "/coordinator.address"; }
  std::string EndedFile() const { return log_dir + "/coordinator.ended"; }
  std::string CoordinatorScript() const { return log_dir + "/coordinator.sbatch"; }
  std::string WorkerScript() const { return log_dir + "/workers.sbatch"; }
  // The coordinator job's token file (token_file's lines and the worker token) and the
  // worker token, both written by the launcher with mode 600.
  std::string CoordinatorTokenFile() const { return log_dir + "/coordinator.tokens"; }
  std::string WorkerTokenFile() const { return log_dir + "/worker.token"; }
  // The certificate (and key) a coordinator job makes for its node with `openssl req`.
  std::string MadeCertificate() const { return log_dir + "/coordinator.crt"; }
  std::string MadeKey() const { return log_dir + "/coordinator.key"; }
  // A coordinator job listening beyond loopback without --tls-cert makes its own.
  bool MakesCertificate() const;
  // The coordinator speaks TLS: a given or made certificate, or an https:// coordinator.
  bool Tls() const;
  // The CA file clients pass as --ca: ca_file, else the made certificate, else none.
  std::string ClientCaFile() const;
};

// Every problem with `job`, the first one found, as kInvalidArgument naming the option
// ("--partition", "--time", ...): counts out of range, `groups_per_job` not dividing
// `groups`, relative paths, characters a #SBATCH line or a job name cannot hold, a time
// Slurm would not parse, a coordinator job listening off loopback without a token file.
Status ValidateSlurmJob(const SlurmJob& job);

// True when `text` is a time limit sbatch accepts: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM,
// D-HH:MM:SS, or UNLIMITED / INFINITE.
bool IsSlurmTime(const std::string& text);

// A job name from a sweep name (sweep names are free text): characters other than letters,
// digits, '.', '_' and '-' become '_', at most 40 of them, prefixed "ct-".
std::string SlurmJobName(const std::string& sweep_name);

}  // namespace chromatune::worker
