// Helpers shared by the storage tests: a scratch directory and small plan items.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/result_store.h"

namespace chromatune::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/ct-storage-XXXXXX";
    path_ = mkdtemp(templ.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A plan item as `sweep plan --format json` lists it (experiments/runner.h).
inline nlohmann::json PlanItem(const std::string& key, const std::string& method, int shots,
                               int data_seed, int ranks = 1) {
  return {{"index", 0},
          {"key", key},
          {"task", "classification"},
          {"dataset", "fashion-mnist"},
          {"backbone", "builtin:tiny-clip"},
          {"method", method},
          {"shots", shots},
          {"shot_unit", "per_class"},
          {"data_seed", data_seed},
          {"train_seed", 1},
          {"params", {{"lr", 0.002}, {"ctx_len", 4}}},
          {"resources", {{"ranks", ranks}}}};
}

// Runs `body` in a forked child and returns its exit code (128 + signal if it was killed).
// For faults that must not touch the test process: a file size limit, dropped privileges.
inline int RunInChild(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// In a child: every file may grow to at most `bytes` (writes past it fail with EFBIG, as on
// a full disk).
inline void LimitFileSize(rlim_t bytes) {
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = {bytes, bytes};
  setrlimit(RLIMIT_FSIZE, &limit);
}

// In a child: become the unprivileged user "nobody" (65534), so permission bits apply even
// when the tests run as root. Returns false if that is not possible.
inline bool DropToNobody() {
  if (geteuid() != 0) return true;
  return setgid(65534) == 0 && setuid(65534) == 0;
}

inline WorkerGroupInfo Group(const std::string& host, int ranks, nlohmann::json devices) {
  WorkerGroupInfo g;
  g.host = host;
  g.ranks = ranks;
  g.devices = std::move(devices);
  g.version = "0.1.0";
  return g;
}

}  // namespace chromatune::testing
