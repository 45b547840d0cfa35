// SearchSummary: what an adaptive search (TPE, ASHA) did in a sweep, for `chromatune report`:
// the configurations searched, those stopped early, and the compute spent against what the
// same configurations would have cost run to the end (docs/sweeps.md, "Search"). Stopped
// trials are listed apart: they never enter cells or paired tests (storage/report.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "storage/result_store.h"

namespace chromatune {

struct StoppedTrial {
  int64_t trial_id = 0;
  std::string sweep;
  std::string method;
  int shots = 0;
  nlohmann::json params = nlohmann::json::object();
  int64_t data_seed = 0;
  int64_t train_seed = 0;
  int rung = 0;            // stopped at this rung
  int64_t epochs_run = 0;  // epochs it trained
};

struct SearchSummary {
  int64_t configs = 0;         // configurations (replicate groups) planned by the search
  int64_t stopped_early = 0;   // configurations ASHA stopped
  int64_t trials_stopped = 0;  // their trials
  int64_t epochs_run = 0;      // trial-epochs spent: done trials' full schedule, stopped ones'
                               // epochs_run
  int64_t epochs_if_full = 0;  // trial-epochs of every trial of the search run to the end
  std::vector<StoppedTrial> stopped;
};

// The summary over the searched trials of `sweep_ids`; nullopt when none searches.
Result<std::optional<SearchSummary>> SummarizeSearch(ResultStore& store,
                                                     const std::vector<int64_t>& sweep_ids);

nlohmann::json SearchSummaryToJson(const SearchSummary& summary);

}  // namespace chromatune
