#include "worker/crash_notes.h"

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace chromatune::worker {

namespace fs = std::filesystem;

Result<std::string> CrashNotePath(const std::string& dir, int pid) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("crash note directory " + dir + ": " + ec.message());
  return (fs::path(dir) / ("crash-" + std::to_string(pid) + ".note")).string();
}

std::string CrashContext(int64_t trial_id, int attempt, int rank, int pid,
                         const std::string& lease_id) {
  return std::to_string(trial_id) + " " + std::to_string(attempt) + " rank " +
         std::to_string(rank) + " pid " + std::to_string(pid) +
         (lease_id.empty() ? "" : " lease " + lease_id);
}

bool ParseCrashNote(const std::string& line, CrashNote* note) {
  std::istringstream in(line);
  int64_t trial = 0;
  int attempt = 0, rank = 0, pid = 0;
  std::string rank_word, pid_word, signal_name;
  if (!(in >> trial >> attempt >> rank_word >> rank >> pid_word >> pid >> signal_name)) {
    return false;
  }
  std::string lease_id;
  if (signal_name == "lease" && !(in >> lease_id >> signal_name)) return false;
  if (rank_word != "rank" || pid_word != "pid" || trial <= 0 || attempt <= 0) return false;
  note->trial_id = trial;
  note->attempt = attempt;
  note->lease_id = lease_id;
  note->error = "worker crashed with " + signal_name + " (rank " + std::to_string(rank) + ", pid " +
                std::to_string(pid) + ")";
  return true;
}

std::vector<CrashNote> CollectCrashNotes(const std::string& dir) {
  std::vector<CrashNote> notes;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return notes;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("crash-", 0) != 0 || entry.path().extension() != ".note") continue;
    const std::string pid_text = name.substr(6, name.size() - 6 - 5);
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const int pid = std::stoi(pid_text);
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running (or not ours)
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      CrashNote note;
      if (ParseCrashNote(line, &note)) notes.push_back(note);
    }
    fs::remove(entry.path(), ec);
  }
  return notes;
}

}  // namespace chromatune::worker
