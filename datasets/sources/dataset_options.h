// What a sweep's `dataset:` mapping adds to the source string (../shared/INTERFACES.md,
// "Sweep file"): where images live, a proposals file, and what a trial evaluates on.
//
//   dataset: {source: csv:data.csv, image_root: DIR, proposals: FILE,
//             eval: {split: S | [S, ...], size: all | N, domain: plain | shift}}
//
// The spec (experiments/sweep/spec.h) fills one DatasetOptions with absolute paths; the plan
// stores it in every item as "dataset_options" (DatasetOptionsToJson) beside the unchanged
// "dataset" source string, and the trial side reads it back with DatasetOptionsFromJson.
// Paths never enter trial keys (the dataset fingerprint stands for the files' content); the
// "eval" part does, because it changes results (experiments/sweep/trial_key.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::datasets {

// eval.size: absent (the dataset's default: every item for users' datasets, the documented
// subset for builtin ones), `all`, or a class-stratified subset of N items per split.
inline constexpr int64_t kEvalSizeDefault = -1;
inline constexpr int64_t kEvalSizeAll = 0;

struct EvalOptions {
  std::vector<std::string> splits;  // evaluated in this order; empty = the dataset's default
  int64_t size = kEvalSizeDefault;  // kEvalSizeDefault, kEvalSizeAll or N >= 1
  std::string domain;               // "" (default: plain), "plain" or "shift" (builtin only)

  bool empty() const { return splits.empty() && size == kEvalSizeDefault && domain.empty(); }
  bool operator==(const EvalOptions& o) const {
    return splits == o.splits && size == o.size && domain == o.domain;
  }
};

struct DatasetOptions {
  std::string image_root;  // "" = the manifest's directory (csv:, coop-split:, refexp:)
  std::string proposals;   // refexp: only; "" = each image's annotation boxes
  EvalOptions eval;

  bool empty() const { return image_root.empty() && proposals.empty() && eval.empty(); }
  bool operator==(const DatasetOptions& o) const {
    return image_root == o.image_root && proposals == o.proposals && eval == o.eval;
  }
};

// {"image_root": DIR, "proposals": FILE, "eval": {"split": [...], "size": "all" | N,
// "domain": D}} with only the fields that are set (an empty object for empty options).
nlohmann::json DatasetOptionsToJson(const DatasetOptions& options);
nlohmann::json EvalOptionsToJson(const EvalOptions& eval);

// The inverse; null or a missing object gives empty options. Errors name the field, e.g.
// `dataset_options.eval.size: expected "all" or an integer >= 1`.
Result<DatasetOptions> DatasetOptionsFromJson(const nlohmann::json& json);

}  // namespace chromatune::datasets
