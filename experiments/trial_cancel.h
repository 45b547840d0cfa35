// Cancellation agreed by every rank of a trial. TrialContext::cancelled is set on the trial's
// rank 0 only (the worker learns of cancels and search stops there); a multi-rank trial
// polls it through CancelledEverywhere at its steps, so that all its ranks stop together.
#pragma once

#include "common/status.h"
#include "experiments/runner.h"

namespace chromatune {

// Whether the trial is to stop now: rank 0 polls ctx.cancelled and broadcasts the answer.
// Collective over ctx.comm: every rank must call it at the same step.
Result<bool> CancelledEverywhere(TrialContext& ctx);

}  // namespace chromatune
