// TrialOutcome: one finished trial as the report and the dashboard aggregate it. The
// result store produces these (ResultStore::ListOutcomes); storage/ statistics and reports
// consume them, so neither depends on the other's internals.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace chromatune {

struct TrialOutcome {
  int64_t trial_id = 0;
  std::string sweep;  // sweep name
  std::string task;   // classification | grounding
  std::string dataset;
  std::string method;
  int shots = 0;
  // The method's resolved parameters as planned (plan item "params"). A report cell is
  // (task, dataset, method, shots, params minus the replicate seeds).
  nlohmann::json params = nlohmann::json::object();
  // The pretraining seed of a builtin backbone (plan item "backbone_seed"); absent for
  // sweeps without replicates.backbone_seeds: one backbone, as named.
  std::optional<int64_t> backbone_seed;
  int64_t data_seed = 0;
  int64_t train_seed = 0;
  std::string state;                      // done | failed | ... (reports use done only)
  std::map<std::string, double> metrics;  // final metrics
};

}  // namespace chromatune
