// Checks that a path a user named (dataset, checkpoint, manifest) is a regular file before
// anything opens it: a device (/dev/zero), FIFO or socket would block a reader forever or
// stream without end, on a worker or one of the coordinator's I/O threads.
#pragma once

#include <string>

#include "common/status.h"

namespace chromatune {

// OK when `path` (after following symlinks) is a regular file. Errors name `what` and the
// path: kNotFound when it does not exist, kInvalidArgument for a directory or for anything
// that is not a regular file.
Status RequireRegularFile(const std::string& path, const std::string& what);

}  // namespace chromatune
