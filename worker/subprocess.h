// RunProgram: runs a program to its end and collects what it wrote, for the cluster
// commands chromatune drives (sbatch, scancel). Not for long-running children: it blocks.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::worker {

struct ProgramRun {
  int exit_code = 0;  // the exit status, or 128 + the signal that ended it
  std::string out;    // everything written to stdout
  std::string err;    // everything written to stderr
};

// Runs argv[0] (a path, or a name looked up on PATH) with argv, stdin from /dev/null, and
// waits for it. A program that ran and failed is not an error here (see exit_code); one
// that cannot start is kUnavailable naming it and the reason.
Result<ProgramRun> RunProgram(const std::vector<std::string>& argv);

}  // namespace chromatune::worker
