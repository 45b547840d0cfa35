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
                         const std::string& lease_id, const std::vector<CrashMate>& mates) {
  std::string out = std::to_string(trial_id) + " " + std::to_string(attempt) + " rank " +
                    std::to_string(rank) + " pid " + std::to_string(pid) +
                    (lease_id.empty() ? "" : " lease " + lease_id);
  std::string list;
  for (const auto& m : mates) {
    std::string one =
        std::to_string(m.trial_id) + ":" + std::to_string(m.attempt) + ":" + m.lease_id;
    if (out.size() + 7 + list.size() + 1 + one.size() > kMaxCrashContext) break;
    list += (list.empty() ? "" : ",") + one;
  }
  return list.empty() ? out : out + " mates " + list;
}

namespace {

// "T:A:L,T:A:L" (lease ids hold no ':' or ','); false when malformed.
bool ParseMates(const std::string& text, std::vector<CrashMate>* mates) {
  std::istringstream list(text);
  std::string one;
  while (std::getline(list, one, ',')) {
    const size_t a = one.find(':');
    const size_t b = a == std::string::npos ? a : one.find(':', a + 1);
    if (b == std::string::npos) return false;
    CrashMate m;
    try {
      m.trial_id = std::stoll(one.substr(0, a));
      m.attempt = std::stoi(one.substr(a + 1, b - a - 1));
    } catch (const std::exception&) {
      return false;
    }
    m.lease_id = one.substr(b + 1);
    if (m.trial_id <= 0 || m.attempt <= 0) return false;
    mates->push_back(std::move(m));
  }
  return true;
}

}  // namespace

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
  std::vector<CrashMate> mates;
  if (signal_name == "mates") {
    std::string list;
    if (!(in >> list >> signal_name) || !ParseMates(list, &mates)) return false;
  }
  if (rank_word != "rank" || pid_word != "pid" || trial <= 0 || attempt <= 0) return false;
  note->mates = std::move(mates);
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
