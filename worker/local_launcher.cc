#include "worker/local_launcher.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace chromatune::worker {

std::vector<std::string> GroupCommandLine(const GroupLaunch& launch) {
  std::vector<std::string> argv;
  if (!launch.mpirun.empty()) {
    // As root (containers, CI) OpenMPI refuses to start without --allow-run-as-root;
    // --oversubscribe lets R exceed the cores; --bind-to none keeps ranks from being
    // pinned to one core each, which would starve LibTorch's threads.
    argv = {launch.mpirun, "--oversubscribe",           "--bind-to", "none",
            "-np",         std::to_string(launch.ranks)};
    if (geteuid() == 0) argv.insert(argv.begin() + 1, "--allow-run-as-root");
    if (!launch.hostfile.empty()) {
      argv.push_back("--hostfile");
      argv.push_back(launch.hostfile);
    }
  }
  argv.push_back(launch.executable);
  for (const auto& a : launch.args) argv.push_back(a);
  return argv;
}

std::string FindMpirun() {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/mpirun";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Result<pid_t> LaunchGroup(const GroupLaunch& launch) {
  if (launch.mpirun.empty() && launch.ranks != 1) {
    return FailedPrecondition("a worker group of " + std::to_string(launch.ranks) +
                              " ranks needs mpirun, which is not on PATH");
  }
  if (launch.mpirun.empty() && !launch.hostfile.empty()) {
    return FailedPrecondition("--hostfile " + launch.hostfile +
                              ": a group on other hosts needs mpirun, which is not on PATH");
  }
  const auto args = GroupCommandLine(launch);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!launch.log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, launch.log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Unavailable("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace chromatune::worker
