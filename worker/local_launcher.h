// Launches local worker groups for embedded runs (`chromatune run`): `mpirun -np R
// <chromatune> worker --coordinator 127.0.0.1:PORT`, output appended to a log file, in a
// process group of its own (a Ctrl-C at the terminal reaches `chromatune run`, which then
// drains the groups with SIGTERM instead of killing them mid-write).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::worker {

struct GroupLaunch {
  std::string executable;         // the chromatune binary
  std::vector<std::string> args;  // after the executable, e.g. {"worker", "--coordinator", ...}
  int ranks = 1;
  std::string log_path;  // stdout and stderr of every rank; empty: inherit
  std::string mpirun;    // path of mpirun; empty: run directly (ranks must be 1)
  // mpirun --hostfile: ranks on these hosts (multi-host groups, docs/cluster.md); empty:
  // this host only. Needs mpirun.
  std::string hostfile;
};

// The full argument vector that Launch executes.
std::vector<std::string> GroupCommandLine(const GroupLaunch& launch);
// Starts the group; returns the pid of mpirun (or of the worker). Errors name the program.
Result<pid_t> LaunchGroup(const GroupLaunch& launch);
// mpirun from PATH, or empty when there is none.
std::string FindMpirun();

}  // namespace chromatune::worker
