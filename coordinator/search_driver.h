// SearchDriver: the coordinator's side of adaptive search (docs/sweeps.md, "Search"): TPE
// suggestions filled into trials as they are leased, rung results recorded as heartbeats and
// completions bring them, ASHA decisions on replicate groups made as soon as the results
// allow, and the stop of a configuration's trials. The logic is experiments/search/ (pure);
// this class feeds it from, and writes its outcome to, the ResultStore.
//
// Durable: every suggestion, rung result and decision is a row (schema 6) before anyone
// acts on it, and the in-memory state is a cache of those rows, loaded per sweep on first
// use: a restarted coordinator suggests nothing twice, loses no rung, and makes the
// decisions its rows allow (Decide) before answering anyone.
//
// Not thread-safe: the Coordinator calls it under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/search/asha.h"
#include "experiments/search/item_search.h"
#include "storage/result_store.h"

namespace chromatune::coordinator {

// One rung result as a trial reports it: {"rung": r, "epoch": e, "metrics": {...}}.
struct RungResult {
  int rung = 0;
  int64_t epoch = 0;
  nlohmann::json metrics = nlohmann::json::object();
};

// Parses {"rung", "epoch", "metrics"} (the heartbeat's "rung" member, an element of a
// result's info.rungs); kInvalidArgument naming `what` and the field otherwise.
Result<RungResult> ParseRungResult(const nlohmann::json& j, const std::string& what);

class SearchDriver {
 public:
  explicit SearchDriver(ResultStore* store) : store_(store) {}

  // At lease: a TPE slot's trial gets its configuration's parameters in item["params"],
  // suggested (and stored) on the first lease of any of its replicates. Other items are
  // left as they are.
  Status PrepareGrant(int64_t sweep_id, int64_t trial_id, nlohmann::json* item);
  // Records rung results of a trial (the first report of a rung counts). Decides nothing.
  Status Record(int64_t sweep_id, int64_t trial_id, int attempt,
                const std::vector<RungResult>& rungs);
  // A completed trial's final metrics: its value at the full schedule (the top rung).
  Status RecordFinal(int64_t sweep_id, int64_t trial_id,
                     const std::map<std::string, double>& metrics);
  // A replicate that failed for good: its group's decisions no longer wait for it.
  Status Drop(int64_t sweep_id, int64_t trial_id);
  // Makes every decision the recorded results allow and stops the trials of stopped
  // configurations (ResultStore::ApplySearchDecision). Returns the trials it stopped.
  Result<std::vector<int64_t>> Decide(int64_t sweep_id);
  // Whether the trial belongs to a configuration the search stopped.
  Result<bool> Stopped(int64_t sweep_id, int64_t trial_id);
  // Forgets what it cached of the sweep (a resubmission may add trials to a group).
  void Invalidate(int64_t sweep_id) { sweeps_.erase(sweep_id); }

 private:
  struct Unit {
    search::ItemSearch proto;  // the unit's search settings (any of its items)
    std::unique_ptr<search::PairedAsha> asha;
    std::vector<std::string> configs;                    // in slot order
    std::map<std::string, int64_t> slots;                // config -> slot
    std::map<std::string, std::vector<int64_t>> trials;  // config -> trial ids
    std::map<std::string, nlohmann::json> suggested;     // config -> full params (TPE)
  };
  struct Sweep {
    std::map<std::string, Unit> units;
    std::map<int64_t, std::pair<std::string, std::string>> where;  // trial -> (unit, config)
    std::set<int64_t> ended;  // trials done, stopped, failed or cancelled
  };
  Result<Sweep*> Load(int64_t sweep_id);
  // The unit and config of a trial of the sweep; nullptr when it is not searched.
  Unit* UnitOf(Sweep& sweep, int64_t trial_id, std::string* config);
  Status RecordValue(Sweep& sweep, int64_t trial_id, int rung, double value);

  ResultStore* store_;
  std::map<int64_t, Sweep> sweeps_;
};

}  // namespace chromatune::coordinator
