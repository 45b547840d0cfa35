// SubmitWithSlurm (cli/submit.h): `chromatune submit SWEEP.yaml --launcher slurm ...`.
// Validates every option before anything is written or submitted; submits the sweep to an
// existing coordinator first, so a refused sweep leaves no jobs behind; cancels the
// coordinator job again when the worker job is refused.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/submit.h"
#include "coordinator/auth.h"
#include "coordinator/web_gate.h"
#include "worker/sbatch.h"
#include "worker/slurm_scripts.h"

namespace chromatune::cli {
namespace {

namespace fs = std::filesystem;

std::string Absolute(const std::string& path) {
  std::error_code ec;
  std::string out = fs::absolute(fs::path(path), ec).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// Writes `text` to `path` with `mode`; kIoError naming the path.
Status WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError("cannot write " + path);
  if (chmod(path.c_str(), mode) != 0) return IoError("cannot chmod " + path);
  return Status::Ok();
}

// The job with defaults filled in and every path absolute.
worker::SlurmJob CompleteJob(const SubmitArgs& args, const SweepSpec& spec) {
  worker::SlurmJob job = args.slurm;
  job.sweep_name = spec.name;
  job.coordinator = args.coordinator;
  std::error_code ec;
  job.executable = fs::read_symlink("/proc/self/exe", ec).string();
  job.log_dir = Absolute(job.log_dir.empty() ? "chromatune-slurm/" + worker::SlurmJobName(spec.name)
                                             : job.log_dir);
  if (!args.token_file.empty()) job.token_file = Absolute(args.token_file);
  if (!args.ca_file.empty()) job.ca_file = Absolute(args.ca_file);
  if (!job.tls_cert.empty()) job.tls_cert = Absolute(job.tls_cert);
  if (!job.tls_key.empty()) job.tls_key = Absolute(job.tls_key);
  if (!job.worker_token_file.empty()) job.worker_token_file = Absolute(job.worker_token_file);
  if (job.coordinator_job()) {
    job.db = Absolute(job.db.empty() ? job.log_dir + "/runs.db" : job.db);
    job.sweep_file = job.log_dir + "/sweep.yaml";
    // The groups get a worker token of their own (made by WriteWorkerToken), not the
    // submitter's: a leaked group log or node cannot submit or cancel anything.
    if (!job.token_file.empty()) job.worker_token_file = job.WorkerTokenFile();
  }
  return job;
}

// The user of the first "USER TOKEN [ROLE]" line of a token file, or "".
std::string FirstUser(const std::string& token_file) {
  std::ifstream in(token_file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string user, token;
    if (!(fields >> user) || user[0] == '#') continue;
    return fields >> token ? user : "";
  }
  return "";
}

// A coordinator job's tokens: its token file's lines plus a new worker token of the same
// user (CoordinatorTokenFile), and that token alone for the groups (WorkerTokenFile).
Status WriteWorkerToken(const worker::SlurmJob& job) {
  const std::string user = FirstUser(job.token_file);
  if (user.empty()) {
    return InvalidArgument("--token-file " + job.token_file +
                           ": a coordinator job serves this file, so it needs \"USER TOKEN "
                           "[ROLE]\" lines");
  }
  std::ifstream in(job.token_file);
  std::ostringstream tokens;
  tokens << in.rdbuf();
  const std::string token = coordinator::RandomHex(24);
  // Created with mode 600 before anything is written (WriteFile keeps an existing mode).
  for (const std::string& path : {job.CoordinatorTokenFile(), job.WorkerTokenFile()}) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
      if (fd >= 0) ::close(fd);
      return IoError("cannot create " + path);
    }
    ::close(fd);
  }
  CT_RETURN_IF_ERROR(WriteFile(job.CoordinatorTokenFile(),
                               tokens.str() +
                                   "\n# the worker groups of this job (made by "
                                   "chromatune submit --launcher slurm)\n" +
                                   user + " " + token + " worker\n",
                               0600));
  return WriteFile(job.WorkerTokenFile(), token + "\n", 0600);
}

// Writes the sweep copy and the scripts into the log directory and removes what an earlier
// submission there left (an old address would send the new workers to a dead coordinator).
Status WriteJobFiles(const worker::SlurmJob& job, const SweepSpec& spec,
                     const std::string& coordinator_script, const std::string& worker_script) {
  std::error_code ec;
  fs::create_directories(job.log_dir, ec);
  if (ec) return IoError("--log-dir " + job.log_dir + ": " + ec.message());
  fs::remove(job.AddressFile(), ec);
  fs::remove(job.EndedFile(), ec);
  if (job.coordinator_job()) {
    if (!job.token_file.empty()) CT_RETURN_IF_ERROR(WriteWorkerToken(job));
    CT_RETURN_IF_ERROR(WriteFile(job.sweep_file, spec.yaml_text, 0644));
    CT_RETURN_IF_ERROR(WriteFile(job.CoordinatorScript(), coordinator_script, 0755));
  }
  return WriteFile(job.WorkerScript(), worker_script, 0755);
}

}  // namespace

int SubmitWithSlurm(const SubmitArgs& args, const SweepSpec& spec) {
  const worker::SlurmJob job = CompleteJob(args, spec);
  Status valid = worker::ValidateSlurmJob(job);
  if (!valid.ok()) {
    std::cerr << "chromatune submit: " << valid.message() << "\n";
    return kExitBadInput;
  }
  if (job.coordinator_job() && args.wait) {
    std::cerr << "chromatune submit: --wait needs --coordinator (a coordinator job waits for "
                 "its sweep itself; follow it with chromatune status)\n";
    return kExitBadInput;
  }
  if (!job.token_file.empty()) {
    auto token = coordinator::ReadClientToken(job.token_file);
    if (!token.ok()) {
      std::cerr << "chromatune submit: " << token.status().message() << "\n";
      return kExitBadInput;
    }
  }
  const std::string coordinator_script =
      job.coordinator_job() ? worker::CoordinatorJobScript(job) : "";
  const std::string worker_script = worker::WorkerJobScript(job);
  if (args.dry_run) {
    if (job.coordinator_job()) {
      std::cout << "# ==== " << job.CoordinatorScript() << " (sbatch --parsable "
                << job.CoordinatorScript() << ")\n"
                << coordinator_script;
    }
    std::cout << "# ==== " << job.WorkerScript() << " (sbatch --parsable "
              << (job.coordinator_job() ? "--dependency=after:COORDINATOR_JOB " : "")
              << job.WorkerScript() << ")\n"
              << worker_script;
    return kExitOk;
  }
  if (!job.coordinator_job()) {
    SubmitArgs now = args;
    now.wait = false;  // after the jobs are submitted
    const int rc = SubmitToCoordinator(now, spec);
    if (rc != kExitOk) return rc;
  }
  Status written = WriteJobFiles(job, spec, coordinator_script, worker_script);
  if (!written.ok()) {
    std::cerr << "chromatune submit: " << written.message() << "\n";
    return kExitFailure;
  }
  std::vector<std::string> worker_options;
  std::string coordinator_job;
  if (job.coordinator_job()) {
    auto id = worker::SubmitBatchScript(job.CoordinatorScript(), {});
    if (!id.ok()) {
      std::cerr << "chromatune submit: " << id.status().message() << "\n";
      return kExitFailure;
    }
    coordinator_job = *id;
    std::cout << "coordinator job " << coordinator_job << ": log " << job.log_dir << "/coordinator-"
              << coordinator_job << ".log, address in " << job.AddressFile() << std::endl;
    worker_options.push_back("--dependency=after:" + coordinator_job);
  }
  auto workers = worker::SubmitBatchScript(job.WorkerScript(), worker_options);
  if (!workers.ok()) {
    std::cerr << "chromatune submit: " << workers.status().message() << "\n";
    if (!coordinator_job.empty()) {
      Status cancelled = worker::CancelJob(coordinator_job);
      std::cerr << "chromatune submit: coordinator job " << coordinator_job
                << (cancelled.ok() ? " cancelled" : " not cancelled: " + cancelled.message())
                << "\n";
    }
    return kExitFailure;
  }
  std::cout << "worker job " << *workers << ": " << job.worker_jobs() << " job(s) of "
            << job.groups_per_job << " group(s) of " << job.ranks << " rank(s); logs "
            << job.log_dir << "/workers-" << *workers << "*.log and " << job.log_dir
            << "/group-N.log" << std::endl;
  {
    std::ofstream jobs(job.log_dir + "/jobs");
    if (!coordinator_job.empty()) jobs << "coordinator " << coordinator_job << "\n";
    jobs << "workers " << *workers << "\n";
  }
  if (!args.wait) return kExitOk;
  auto client = ConnectTo(args.coordinator, args.token_file, args.ca_file);
  return client.ok() ? WaitForSweep(**client, spec.name) : kExitFailure;
}

}  // namespace chromatune::cli
