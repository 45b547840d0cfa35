// A sweep's trial counts as JSON, the one shape every API answers with (the coordinator's
// GET /api/v1/sweeps/NAME and status, the dashboard's sweeps and summaries).
#pragma once

#include <nlohmann/json.hpp>

#include "storage/result_store.h"

namespace chromatune {

// {"pending", "leased", "running", "done", "failed", "cancelled", "stopped", "total",
//  "finished"}: a count per state, their sum, and whether no trial can change any more.
nlohmann::json TrialCountsJson(const TrialCounts& counts);

}  // namespace chromatune
