// RunPackedGroups: a `chromatune worker` that packs its node's GPUs (gpu_packing.h,
// NodeGroupDevices; docs/gpu.md, "Packing") runs as a supervisor of one child worker per
// group: the same command line plus `--device D` (and `--label L.i` when it was given a
// label). Children run in process groups of their own (local_launcher.h), so a drain
// reaches them only through here: SIGTERM or SIGINT (signals.h, DrainRequested) is passed on
// to every child, and the call returns once all have ended. A child that fails (a status
// other than 0, which a drained worker returns) is started again, up to max_restarts times
// (as the Slurm worker job restarts its groups); output goes where the supervisor's goes.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::worker {

struct PackedGroups {
  std::string executable;            // the chromatune binary
  std::vector<std::string> args;     // after it: {"worker", "--coordinator", ...}, no --device
  std::vector<std::string> devices;  // one child per entry: its --device
  std::string label;                 // empty: children carry no --label
  int max_restarts = 5;              // per child (kGroupRestarts of slurm_scripts.h)
  std::chrono::milliseconds poll{200};
};

// The argument vector (after the executable) of child `i`.
std::vector<std::string> PackedChildArgs(const PackedGroups& p, size_t i);

// Runs the children until every one has ended. ok when each ended with status 0 (drained);
// kUnavailable naming the children that failed for good, or when none could start.
Status RunPackedGroups(const PackedGroups& p);

}  // namespace chromatune::worker
