#include "worker/slurm_scripts.h"

#include <sstream>

namespace chromatune::worker {
namespace {

// The #SBATCH lines both jobs share.
void CommonDirectives(const SlurmJob& job, const std::string& role, std::ostringstream& out) {
  out << "#SBATCH --job-name=" << SlurmJobName(job.sweep_name) << "-" << role << "\n";
  if (!job.partition.empty()) out << "#SBATCH --partition=" << job.partition << "\n";
  if (!job.time_limit.empty()) out << "#SBATCH --time=" << job.time_limit << "\n";
  out << "#SBATCH --open-mode=append\n";
}

std::string Seconds(double s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

// " --token-file 'F'" or nothing.
std::string TokenArg(const std::string& token_file) {
  return token_file.empty() ? "" : " --token-file " + ShellQuote(token_file);
}

// " --ca 'F'" or nothing: what clients verify the coordinator's certificate with.
std::string CaArg(const SlurmJob& job) {
  const std::string ca = job.ClientCaFile();
  return ca.empty() ? "" : " --ca " + ShellQuote(ca);
}

// The token worker groups present: the launcher's worker token, or the one given.
std::string WorkerToken(const SlurmJob& job) {
  return job.worker_token_file.empty() ? job.token_file : job.worker_token_file;
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string CoordinatorJobScript(const SlurmJob& job) {
  std::ostringstream out;
  out << "#!/bin/bash\n"
      << "# chromatune coordinator job of sweep " << ShellQuote(job.sweep_name)
      << ", written by `chromatune submit --launcher slurm`\n"
      << "# (docs/cluster.md): serves the store, writes its address for the worker jobs, "
         "submits the\n"
      << "# sweep, waits until every trial has finished, then writes coordinator.ended (the "
         "worker\n"
      << "# jobs drain and end) and stops. Not requeued: it could come back at another "
         "address.\n";
  CommonDirectives(job, "coordinator", out);
  out << "#SBATCH --ntasks=1\n"
      << "#SBATCH --no-requeue\n"
      << "#SBATCH --output=" << job.log_dir << "/coordinator-%j.log\n"
      << "set -u\n"
      << "ct=" << ShellQuote(job.executable) << "\n"
      << "address_file=" << ShellQuote(job.AddressFile()) << "\n"
      << "ended_file=" << ShellQuote(job.EndedFile()) << "\n"
      << "rm -f \"$address_file\" \"$ended_file\"\n";
  std::string tls;
  if (job.MakesCertificate()) {
    // Beyond loopback the coordinator speaks TLS: with no certificate given, one for this
    // node (the name the address file announces), which the clients are given as --ca.
    out << "# A certificate for this node: the workers and the submitter verify it (--ca).\n"
        << "host=$(hostname)\n"
        << "fqdn=$(hostname -f 2>/dev/null || hostname)\n"
        << "(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj \"/CN=$host\" "
           "\\\n"
        << "  -addext \"subjectAltName=DNS:$host,DNS:$fqdn\" -keyout " << ShellQuote(job.MadeKey())
        << " -out " << ShellQuote(job.MadeCertificate()) << " 2>/dev/null) ||\n"
        << "  { echo \"cannot make a TLS certificate with openssl\" >\"$ended_file\"; exit 1; }\n";
    tls = " --tls-cert " + ShellQuote(job.MadeCertificate()) + " --tls-key " +
          ShellQuote(job.MadeKey());
  } else if (!job.tls_cert.empty()) {
    tls = " --tls-cert " + ShellQuote(job.tls_cert) + " --tls-key " + ShellQuote(job.tls_key);
  }
  out << "\"$ct\" coordinator --db " << ShellQuote(job.db) << " --listen "
      << ShellQuote(job.coordinator_listen)
      << (job.token_file.empty() ? " --insecure-loopback" : TokenArg(job.CoordinatorTokenFile()))
      << tls << " \\\n"
      << "  --lease-timeout " << Seconds(job.lease_timeout_s)
      << " --address-file \"$address_file\" &\n"
      << "coordinator=$!\n"
      << "# Tells the worker jobs to drain, then stops the coordinator (it removes its "
         "address file).\n"
      << "finish() {\n"
      << "  echo \"$1\" >\"$ended_file\"\n"
      << "  kill -TERM \"$coordinator\" 2>/dev/null\n"
      << "  wait \"$coordinator\"\n"
      << "}\n"
      << "trap 'finish \"coordinator job $SLURM_JOB_ID stopped by a signal\"; exit 143' TERM "
         "INT\n"
      << "until [[ -s $address_file ]]; do\n"
      << "  if ! kill -0 \"$coordinator\" 2>/dev/null; then\n"
      << "    finish \"the coordinator did not start (coordinator-$SLURM_JOB_ID.log)\"\n"
      << "    exit 1\n"
      << "  fi\n"
      << "  sleep 1\n"
      << "done\n"
      << "address=$(<\"$address_file\")\n"
      << "echo \"coordinator at $address\"\n"
      << "\"$ct\" submit " << ShellQuote(job.sweep_file) << " --coordinator \"$address\""
      << TokenArg(job.token_file) << CaArg(job) << " --wait &\n"
      << "wait $!  # in the background, so that a signal's trap runs at once\n"
      << "rc=$?\n"
      << "finish \"sweep finished (chromatune submit --wait exited with status $rc)\"\n"
      << "exit \"$rc\"\n";
  return out.str();
}

std::string WorkerJobScript(const SlurmJob& job) {
  const int k = job.groups_per_job;
  const bool array = job.worker_jobs() > 1;
  std::ostringstream out;
  out << "#!/bin/bash\n"
      << "# chromatune worker groups of sweep " << ShellQuote(job.sweep_name)
      << ", written by `chromatune submit --launcher slurm`\n"
      << "# (docs/cluster.md): " << k << " group(s) of " << job.ranks
      << " rank(s) per job, each an srun step running `chromatune worker`.\n"
      << "# SIGTERM (scancel, preemption, " << kDrainBeforeLimitS
      << " s before the time limit) drains the groups through the\n"
      << "# workers' SIGTERM path; a preempted job is requeued and its groups register "
         "again.\n";
  CommonDirectives(job, "workers", out);
  if (array) out << "#SBATCH --array=0-" << job.worker_jobs() - 1 << "\n";
  out << "#SBATCH --ntasks=" << k * job.ranks << "\n";
  if (job.gpus_per_rank > 0) out << "#SBATCH --gpus-per-task=" << job.gpus_per_rank << "\n";
  out << "#SBATCH --requeue\n"
      << "#SBATCH --signal=B:TERM@" << kDrainBeforeLimitS << "\n"
      << "#SBATCH --output=" << job.log_dir << (array ? "/workers-%A_%a.log" : "/workers-%j.log")
      << "\n"
      << "set -u\n"
      << "ct=" << ShellQuote(job.executable) << "\n"
      << "log_dir=" << ShellQuote(job.log_dir) << "\n"
      << "groups_per_job=" << k << "\n"
      << "first_group=$((${SLURM_ARRAY_TASK_ID:-0} * groups_per_job))\n";
  if (job.coordinator_job()) {
    out << "ended_file=" << ShellQuote(job.EndedFile()) << "\n"
        << "address_file=" << ShellQuote(job.AddressFile()) << "\n"
        << "until [[ -s $address_file ]]; do  # written once the coordinator job listens\n"
        << "  if [[ -e $ended_file ]]; then\n"
        << "    echo \"coordinator job ended: $(<\"$ended_file\")\"\n"
        << "    exit 0\n"
        << "  fi\n"
        << "  sleep 2\n"
        << "done\n"
        << "coordinator=$(<\"$address_file\")\n";
  } else {
    out << "ended_file=''  # an existing coordinator: the groups serve it until stopped\n"
        << "coordinator=" << ShellQuote(job.coordinator) << "\n";
  }
  out << "draining=0\n"
      << "failed=0\n"
      << "pids=()\n"
      << "restarts=()\n"
      << "drain() {\n"
      << "  draining=1\n"
      << "  for pid in \"${pids[@]}\"; do\n"
      << "    if ((pid > 0)); then kill -TERM \"$pid\" 2>/dev/null; fi  # srun forwards it\n"
      << "  done\n"
      << "}\n"
      << "trap drain TERM INT\n"
      << "# Starts group slot $1 as an srun step; its ranks write group-N.log.\n"
      << "launch() {\n"
      << "  local group=$((first_group + $1))\n"
      << "  srun --ntasks=" << job.ranks << " --exact --kill-on-bad-exit=1";
  if (job.ranks > 1) out << " --mpi=" << job.mpi;
  if (job.gpus_per_rank > 0) out << " --gpus-per-task=" << job.gpus_per_rank;
  out << " \\\n"
      << "    --output=\"$log_dir/group-$group.log\" --open-mode=append \\\n"
      << "    \"$ct\" worker --coordinator \"$coordinator\"" << TokenArg(WorkerToken(job))
      << CaArg(job)
      << (job.trials_per_gpu != 1 ? " --trials-per-gpu " + std::to_string(job.trials_per_gpu) : "")
      << " &\n"
      << "  pids[$1]=$!\n"
      << "  echo \"group $group: started (srun pid ${pids[$1]}), coordinator $coordinator\"\n"
      << "}\n"
      << "for ((slot = 0; slot < groups_per_job; slot++)); do\n"
      << "  restarts[slot]=0\n"
      << "  launch \"$slot\"\n"
      << "done\n"
      << "while :; do\n"
      << "  if [[ -n $ended_file && -e $ended_file ]] && ((!draining)); then\n"
      << "    echo \"coordinator job ended: $(<\"$ended_file\"); draining\"\n"
      << "    drain\n"
      << "  fi\n"
      << "  alive=0\n"
      << "  for ((slot = 0; slot < groups_per_job; slot++)); do\n"
      << "    pid=${pids[slot]}\n"
      << "    ((pid > 0)) || continue\n"
      << "    if kill -0 \"$pid\" 2>/dev/null; then\n"
      << "      alive=1\n"
      << "      continue\n"
      << "    fi\n"
      << "    wait \"$pid\"\n"
      << "    rc=$?\n"
      << "    pids[slot]=0\n"
      << "    group=$((first_group + slot))\n"
      << "    if ((draining)); then\n"
      << "      echo \"group $group: drained (status $rc)\"\n"
      << "    elif ((restarts[slot] < " << kGroupRestarts << ")); then\n"
      << "      restarts[slot]=$((restarts[slot] + 1))\n"
      << "      echo \"group $group: exited with status $rc; starting it again "
         "(${restarts[slot]}/"
      << kGroupRestarts << ")\"\n"
      << "      launch \"$slot\"\n"
      << "      alive=1\n"
      << "    else\n"
      << "      echo \"group $group: exited with status $rc after " << kGroupRestarts
      << " restarts; giving up on it\"\n"
      << "      failed=1\n"
      << "    fi\n"
      << "  done\n"
      << "  ((alive)) || break\n"
      << "  sleep 2 &\n"
      << "  wait $!  # a signal's trap runs at once\n"
      << "done\n"
      << "exit \"$failed\"\n";
  return out.str();
}

}  // namespace chromatune::worker
