#include "worker/packed_groups.h"

#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "common/log.h"
#include "worker/local_launcher.h"
#include "worker/signals.h"

namespace chromatune::worker {
namespace {

struct Child {
  pid_t pid = 0;
  int restarts = 0;
  bool failed = false;  // exited unasked more often than allowed
};

std::string ExitText(int status) {
  return WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                             : "status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

std::vector<std::string> PackedChildArgs(const PackedGroups& p, size_t i) {
  std::vector<std::string> args = p.args;
  args.push_back("--device");
  args.push_back(p.devices.at(i));
  if (!p.label.empty()) {
    args.push_back("--label");
    args.push_back(p.label + "." + std::to_string(i));
  }
  return args;
}

Status RunPackedGroups(const PackedGroups& p) {
  std::vector<Child> children(p.devices.size());
  auto start = [&](size_t i) -> Status {
    GroupLaunch launch;
    launch.executable = p.executable;
    launch.args = PackedChildArgs(p, i);
    CT_ASSIGN_OR_RETURN(children[i].pid, LaunchGroup(launch));
    spdlog::info("worker: packed group {} on {} started (pid {})", i, p.devices[i],
                 children[i].pid);
    return Status::Ok();
  };
  for (size_t i = 0; i < children.size(); ++i) {
    if (Status s = start(i); !s.ok()) {
      for (size_t j = 0; j < i; ++j) kill(children[j].pid, SIGTERM);
      for (size_t j = 0; j < i; ++j) waitpid(children[j].pid, nullptr, 0);
      return s;
    }
  }
  bool draining = false;
  std::string failures;
  for (;;) {
    if (!draining && DrainRequested()) {
      draining = true;
      spdlog::info("worker: draining {} packed groups", children.size());
      for (const auto& c : children) {
        if (c.pid > 0) kill(c.pid, SIGTERM);
      }
    }
    bool alive = false;
    for (size_t i = 0; i < children.size(); ++i) {
      auto& c = children[i];
      if (c.pid <= 0) continue;
      int status = 0;
      if (waitpid(c.pid, &status, WNOHANG) != c.pid) {
        alive = true;
        continue;
      }
      c.pid = 0;
      const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      // Status 0 is a drained worker (a signal that reached it directly, e.g. from Slurm):
      // its work is over, so it is not started again.
      if (draining || clean) {
        if (!clean) failures += " " + std::to_string(i) + " (" + ExitText(status) + ")";
        continue;
      }
      if (c.restarts < p.max_restarts) {
        ++c.restarts;
        spdlog::warn("worker: packed group {} exited ({}); starting it again ({}/{})", i,
                     ExitText(status), c.restarts, p.max_restarts);
        if (start(i).ok()) alive = true;
      } else {
        spdlog::error("worker: packed group {} exited ({}) after {} restarts; giving up on it", i,
                      ExitText(status), p.max_restarts);
        failures += " " + std::to_string(i) + " (" + ExitText(status) + ")";
      }
    }
    if (!alive) break;
    std::this_thread::sleep_for(p.poll);
  }
  if (!failures.empty()) return Unavailable("packed worker groups failed:" + failures);
  return Status::Ok();
}

}  // namespace chromatune::worker
