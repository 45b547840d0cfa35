// ExecuteTrial: runs one plan item on the calling rank through the TrialRunner and turns
// every way it can end into a TrialOutcomeMessage: a result, an error Status, a C++
// exception (caught here, so one bad trial never takes the worker down), or cancellation.
//
// Fault injection for tests (docs/runtime.md): a `noop` item whose params.fail is, once the
// trial ran (slept its sleep_ms):
//   "error"    returns an error (kInternal) as a failing method would,
//   "throw"    throws std::runtime_error from inside the trial,
//   "segfault" raises SIGSEGV (the process dies; crash_notes.h records it),
//   "hang"     sleeps forever without a step, deaf to cancellation (trial_watchdog.h ends it),
//   "none"     (default) runs normally.
#pragma once

#include <nlohmann/json.hpp>

#include "experiments/runner.h"
#include "worker/round.h"

namespace chromatune::worker {

TrialOutcomeMessage ExecuteTrial(TrialRunner& runner, const nlohmann::json& item,
                                 TrialContext& ctx);

}  // namespace chromatune::worker
