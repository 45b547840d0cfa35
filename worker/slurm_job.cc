#include "worker/slurm_job.h"

#include <boost/asio/ip/address.hpp>

#include <cctype>

namespace chromatune::worker {
namespace {

bool AllDigits(const std::string& s, size_t min_len, size_t max_len) {
  if (s.size() < min_len || s.size() > max_len) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Splits `s` at `sep`; true when it has min_parts..max_parts parts of 1 to 6 digits each.
bool DigitParts(const std::string& s, char sep, size_t min_parts, size_t max_parts) {
  size_t parts = 0;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    const std::string part = s.substr(start, end == std::string::npos ? end : end - start);
    if (!AllDigits(part, 1, 6)) return false;
    ++parts;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts >= min_parts && parts <= max_parts;
}

// Characters that a path inside a #SBATCH line and a shell word may hold: sbatch splits
// its directives at whitespace and expands '%' patterns in --output.
Status CheckDirectivePath(const std::string& option, const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return InvalidArgument(option + " \"" + path + "\": must be an absolute path");
  }
  for (unsigned char c : path) {
    if (c < 0x21 || c > 0x7e || c == '%' || c == '"' || c == '\'' || c == '\\' || c == '$' ||
        c == '`') {
      return InvalidArgument(option + " \"" + path +
                             "\": must not contain whitespace, quotes, '\\', '$', '`' or '%' "
                             "(it goes into #SBATCH --output)");
    }
  }
  return Status::Ok();
}

Status CheckAbsolute(const std::string& option, const std::string& path) {
  if (path.empty() || path.front() != '/' || path.find('\n') != std::string::npos) {
    return InvalidArgument(option + " \"" + path + "\": must be an absolute path on one line");
  }
  return Status::Ok();
}

// Letters, digits and `extra`; non-empty.
bool Word(const std::string& s, const std::string& extra) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && extra.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

// "HOST:PORT" with PORT in min_port..65535; sets *host.
bool HostPort(std::string text, int min_port, std::string* host) {
  if (text.rfind("https://", 0) == 0) text = text.substr(8);
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string port = text.substr(colon + 1);
  if (!AllDigits(port, 1, 5) || std::stoi(port) < min_port || std::stoi(port) > 65535) {
    return false;
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return Word(*host, ".-_:");
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

Status Range(const std::string& option, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return InvalidArgument(option + " " + std::to_string(value) + ": must be in " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::Ok();
}

}  // namespace

bool IsSlurmTime(const std::string& text) {
  if (text == "UNLIMITED" || text == "INFINITE") return true;
  const size_t dash = text.find('-');
  if (dash == std::string::npos) return DigitParts(text, ':', 1, 3);  // MM, MM:SS, HH:MM:SS
  return AllDigits(text.substr(0, dash), 1, 4) && DigitParts(text.substr(dash + 1), ':', 1, 3);
}

std::string SlurmJobName(const std::string& sweep_name) {
  std::string name = "ct-";
  for (char c : sweep_name.substr(0, 40)) {
    name +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  }
  return name;
}

bool SlurmJob::MakesCertificate() const {
  std::string host;
  return coordinator_job() && tls_cert.empty() && !token_file.empty() &&
         HostPort(coordinator_listen, 0, &host) && !IsLoopback(host);
}

bool SlurmJob::Tls() const {
  return coordinator_job() ? !tls_cert.empty() || MakesCertificate()
                           : coordinator.rfind("https://", 0) == 0 || !ca_file.empty();
}

std::string SlurmJob::ClientCaFile() const {
  if (!ca_file.empty()) return ca_file;
  return MakesCertificate() ? MadeCertificate() : "";
}

Status ValidateSlurmJob(const SlurmJob& job) {
  CT_RETURN_IF_ERROR(Range("--groups", job.groups, 1, 100000));
  CT_RETURN_IF_ERROR(Range("--groups-per-job", job.groups_per_job, 1, job.groups));
  if (job.groups % job.groups_per_job != 0) {
    return InvalidArgument(
        "--groups " + std::to_string(job.groups) + " is not a multiple of --groups-per-job " +
        std::to_string(job.groups_per_job) + " (every worker job runs the same number of groups)");
  }
  CT_RETURN_IF_ERROR(Range("--ranks", job.ranks, 1, 4096));
  CT_RETURN_IF_ERROR(Range("--gpus-per-rank", job.gpus_per_rank, 0, 64));
  CT_RETURN_IF_ERROR(Range("--trials-per-gpu", job.trials_per_gpu, 1, 64));
  if (!job.partition.empty() && !Word(job.partition, "_.,-")) {
    return InvalidArgument("--partition \"" + job.partition +
                           "\": a partition name (letters, digits, '_', '.', '-'; ',' between "
                           "several)");
  }
  if (!job.time_limit.empty() && !IsSlurmTime(job.time_limit)) {
    return InvalidArgument("--time \"" + job.time_limit +
                           "\": not a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, "
                           "D-HH:MM:SS or UNLIMITED)");
  }
  if (!Word(job.mpi, "_")) {
    return InvalidArgument("--mpi \"" + job.mpi +
                           "\": an srun MPI plugin name such as pmix, "
                           "pmi2 or none");
  }
  CT_RETURN_IF_ERROR(CheckAbsolute("chromatune executable", job.executable));
  CT_RETURN_IF_ERROR(CheckDirectivePath("--log-dir", job.log_dir));
  if (!job.token_file.empty()) CT_RETURN_IF_ERROR(CheckAbsolute("--token-file", job.token_file));
  const std::pair<const char*, const std::string*> paths[] = {
      {"--worker-token-file", &job.worker_token_file},
      {"--tls-cert", &job.tls_cert},
      {"--tls-key", &job.tls_key},
      {"--ca", &job.ca_file}};
  for (const auto& [option, path] : paths) {
    if (!path->empty()) CT_RETURN_IF_ERROR(CheckAbsolute(option, *path));
  }
  if (job.tls_cert.empty() != job.tls_key.empty()) {
    return InvalidArgument("--tls-cert and --tls-key go together");
  }
  std::string host;
  if (!job.coordinator_job()) {
    if (!HostPort(job.coordinator, 1, &host)) {
      return InvalidArgument("--coordinator \"" + job.coordinator +
                             "\": expected HOST:PORT with PORT in 1..65535");
    }
    return Status::Ok();
  }
  CT_RETURN_IF_ERROR(CheckAbsolute("--db", job.db));
  CT_RETURN_IF_ERROR(CheckAbsolute("sweep file", job.sweep_file));
  if (!HostPort(job.coordinator_listen, 0, &host)) {
    return InvalidArgument("--coordinator-listen \"" + job.coordinator_listen +
                           "\": expected HOST:PORT with PORT in 0..65535");
  }
  if (job.token_file.empty() && !IsLoopback(host)) {
    return InvalidArgument("--coordinator-listen " + job.coordinator_listen +
                           ": a coordinator job listening beyond loopback needs --token-file "
                           "(every worker and submitter then presents its token)");
  }
  if (!(job.lease_timeout_s >= 0.2 && job.lease_timeout_s <= 3600)) {
    return InvalidArgument("--lease-timeout " + std::to_string(job.lease_timeout_s) +
                           ": must be in 0.2..3600 seconds");
  }
  return Status::Ok();
}

}  // namespace chromatune::worker
