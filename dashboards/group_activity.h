// GroupActivity: the dashboard's worker-group rows (issue 21 item 5). When a group was last
// heard from counts its trials' heartbeats: a group busy training sends trial heartbeats
// (which move the trial's updated_ms in the store) while its own group heartbeat, written
// by the coordinator only now and then, may be minutes old. And what the group is doing:
// the trials it holds, with the progress fraction and note of their last heartbeat.
//
// Read from the store only, so `chromatune dashboard` on a store and the coordinator's page
// show the same.
//
// Thread safety: plain functions; the store is the caller's to guard.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "storage/result_store.h"

namespace chromatune::dashboards {

// The groups of `groups` (in their order) as
//   {id, host, ranks, state, version, last_heartbeat_ms, last_heard_ms,
//    trials: [{id, sweep, method, shots, data_seed, train_seed, params_text, state,
//              progress, note, heard_ms, started}]}
// where a group's trials are those of `held` (leased or running trials, any order) leased to
// it; last_heard_ms is the latest of its own heartbeat and its trials' heard_ms (the trial's
// updated_ms: its lease, its last heartbeat); `started` is true for a trial that reported
// progress or a note (a trial leased ahead has done neither). Started trials come first,
// then by heard_ms, newest first, then by id.
nlohmann::json GroupActivityJson(const std::vector<WorkerGroupInfo>& groups,
                                 const std::vector<TrialRecord>& held);

// GroupActivityJson over the store's active groups and the leased and running trials of the
// sweeps in `sweeps` that have any (read by the store's (sweep, state) index, so the cost
// follows the trials held, not the sweeps' size). Errors are the store's.
Result<nlohmann::json> ReadGroupActivity(ResultStore& store, const std::vector<SweepInfo>& sweeps);

}  // namespace chromatune::dashboards
