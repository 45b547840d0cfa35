// Store faults: writes to the SQLite or HDF5 store that failed for reasons outside the request
// and outside the trial (INTERFACES.md, "Failure accounting"): the disk is full, another
// process holds the file's lock (a reader of the HDF5 file, a second writer), I/O failed.
// They are never charged to a trial, and they reach workers as kUnavailable (HTTP 503), which
// workers retry, keeping their results: nothing acknowledged is lost, since nothing was
// acknowledged.
#pragma once

#include <string>

#include "common/status.h"

namespace chromatune::coordinator {

// kResourceExhausted (disk full), kUnavailable (locked, busy) or kIoError.
bool IsStoreFault(const Status& s);

// `s` when it is not a store fault; else kUnavailable: "the coordinator cannot WHAT now:
// CAUSE; nothing was stored, send it again later".
Status RetryLater(const Status& s, const std::string& what);

}  // namespace chromatune::coordinator
