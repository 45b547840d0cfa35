// ItemSearch: the "search" member of a plan item, written by the plan when a sweep searches
// adaptively (search.mode tpe, or an ASHA scheduler) and read by the coordinator (which
// search and replicate group a trial belongs to, the TPE space, the rungs) and by the
// worker (the epochs at which to report the objective).
//
//   "search": {"mode": "grid"|"random"|"tpe", "unit": U, "config": C, "slot": S,
//              "metric": M, "maximize": true, "seed": N, "n_startup": N, "space": [...],
//              "asha": {"min": R, "max": R, "eta": E, "rungs": [R, ...]}}
//
// `unit` names one search: one (method entry, shots) pair of the sweep. `config` names one
// configuration of it, i.e. its replicate group: every data seed x train seed of the setting.
// "space" and "n_startup" only for tpe, whose items carry no values for the searched
// parameters until the coordinator fills them in (search_space.h). "asha" only with the
// scheduler. The member does not enter the trial key (experiments/sweep/trial_key.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/search/asha.h"
#include "experiments/search/search_space.h"

namespace chromatune::search {

struct ItemSearch {
  std::string mode = "grid";
  std::string unit;
  std::string config;
  int64_t slot = 0;
  std::string metric = "accuracy";
  bool maximize = true;
  uint64_t seed = 0;
  int64_t n_startup = 10;
  SearchSpace space;  // tpe
  bool asha = false;
  AshaSchedule schedule;
  std::vector<int64_t> rungs;  // RungEpochs(schedule)

  bool tpe() const { return mode == "tpe"; }
};

nlohmann::json ItemSearchToJson(const ItemSearch& search);
// The item's "search" member: nullopt without one; kInvalidArgument naming the field when
// it is malformed.
Result<std::optional<ItemSearch>> ItemSearchOf(const nlohmann::json& item);

}  // namespace chromatune::search
