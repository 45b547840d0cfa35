// WriteFinishedSweep: a sweep whose trials are all done with results computed elsewhere,
// written through the store's state machine (each trial leased, then completed), 1,000
// trials per transaction. For benchmarks and fixtures that need a finished sweep of a given
// shape without running its trials; the rows are exactly those the coordinator would write.
#pragma once

#include <functional>
#include <vector>

#include "common/status.h"
#include "storage/result_store.h"

namespace chromatune {

// Creates `sweep` and completes each trial with `result_of(index)` (its plan item's index).
// `before_complete`, if given, sees each batch of leased trials before they complete (a
// caller writing their arrays first, in the coordinator's order). kFailedPrecondition when a
// sweep of that name exists already.
Status WriteFinishedSweep(
    ResultStore& store, const NewSweep& sweep,
    const std::function<TrialResult(int64_t index)>& result_of,
    const std::function<Status(const std::vector<TrialRecord>& batch)>& before_complete = {});

}  // namespace chromatune
