// TrialTable: the dashboard's trial table over the outcomes of one sweep at one version:
// filter (state, method, text), sort by a column, page. The dashboard keeps one per sweep
// until the sweep's counts change. Sorted orders and the lower-cased search text are built
// on first use and kept, so paging through a 100,000-trial sweep costs one pass over the
// rows per request instead of a sort.
//
// Thread safety: not thread-safe; the dashboard calls it under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "storage/search_summary.h"
#include "storage/trial_outcome.h"

namespace chromatune::dashboards {

struct TrialQuery {
  std::string state;   // empty: any
  std::string method;  // empty: any
  std::string
      q;  // case-insensitive substring of "method params-json params-text state"; empty: any
  std::string sort = "id";  // id, method, shots, data_seed, train_seed, state, value
  bool desc = false;
  std::string metric = "accuracy";  // the value column
  int64_t offset = 0;               // >= 0
  int64_t limit = 100;              // >= 1
};

class TrialTable {
 public:
  // `outcomes` in trial id order (ResultStore::ListOutcomes); `stopped`: the sweep's trials
  // stopped by the search (SearchSummary::stopped), whose rows say where they stopped.
  explicit TrialTable(std::shared_ptr<const std::vector<TrialOutcome>> outcomes,
                      const std::vector<StoppedTrial>& stopped = {});

  const std::vector<TrialOutcome>& outcomes() const { return *outcomes_; }

  // {total, offset, limit, methods, rows: [{id, method, shots, data_seed, train_seed, state,
  // params, params_text, value}]}, params_text as the report prints parameters
  // (storage/param_text.h); a stopped trial's row adds stopped_at_rung and epochs_run. Ties
  // keep id order; trials without the metric sort last ascending and first descending.
  // kInvalidArgument (naming the column) for an unknown sort column.
  Result<nlohmann::json> Page(const TrialQuery& query);

 private:
  const std::vector<uint32_t>& Order(const std::string& sort, const std::string& metric, bool desc);
  const std::vector<std::string>& SearchText();

  std::shared_ptr<const std::vector<TrialOutcome>> outcomes_;
  std::vector<std::string> methods_;      // distinct, sorted
  std::vector<std::string> search_text_;  // per outcome, lower case; built on first text filter
  std::map<std::string, std::vector<uint32_t>> orders_;  // by "sort|metric|desc"
  std::map<int64_t, StoppedTrial> stopped_;              // by trial id
};

}  // namespace chromatune::dashboards
