// SweepSubmission: what storing a sweep did (ResultStore::CreateSweep, a SweepDraft).
#pragma once

#include <cstdint>

namespace chromatune {

// What CreateSweep did.
struct SweepSubmission {
  int64_t sweep_id = 0;
  bool resumed = false;   // a sweep of that name existed: this was a resume
  int64_t created = 0;    // new trials, pending
  int64_t reused = 0;     // new trials created done from another sweep's done trial
  int64_t requeued = 0;   // failed or cancelled trials put back to pending (resume)
  int64_t unchanged = 0;  // trials already present and kept as they were (resume)
  int64_t dropped = 0;    // unfinished trials no longer in the plan, cancelled (resume)
};

}  // namespace chromatune
