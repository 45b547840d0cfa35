#include "worker/sbatch.h"

#include <cctype>

#include "worker/subprocess.h"

namespace chromatune::worker {
namespace {

std::string Trimmed(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

Result<std::string> ParseSbatchJobId(const std::string& out) {
  std::string text = Trimmed(out);
  const size_t newline = text.rfind('\n');
  if (newline != std::string::npos) text = text.substr(newline + 1);  // warnings come first
  const std::string id = text.substr(0, text.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    return Internal("sbatch --parsable printed no job id: \"" + Trimmed(out) + "\"");
  }
  return id;
}

Result<std::string> SubmitBatchScript(const std::string& script,
                                      const std::vector<std::string>& options) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(script);
  auto run = RunProgram(argv);
  if (!run.ok()) {
    return Unavailable(run.status().message() + " (is Slurm's sbatch installed and on PATH?)");
  }
  if (run->exit_code != 0) {
    return FailedPrecondition("sbatch " + script + " failed (exit status " +
                              std::to_string(run->exit_code) + "): " + Trimmed(run->err));
  }
  return ParseSbatchJobId(run->out);
}

Status CancelJob(const std::string& job_id) {
  auto run = RunProgram({"scancel", job_id});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return FailedPrecondition("scancel " + job_id + " failed (exit status " +
                              std::to_string(run->exit_code) + "): " + Trimmed(run->err));
  }
  return Status::Ok();
}

}  // namespace chromatune::worker
