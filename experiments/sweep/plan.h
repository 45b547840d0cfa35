// The plan: a SweepSpec expanded into its trials (rules in docs/sweeps.md).
//
// Each item is the JSON object that the trial runner, the coordinator and the store consume
// (experiments/runner.h):
//   {"index": I, "key": SHA256_HEX, "sweep": NAME, "task": T, "dataset": D, "backbone": B,
//    "method": M, "shots": K, "shot_unit": U, ["backbone_seed": S,] "data_seed": S,
//    "train_seed": S,
//    "params": {...every parameter of M, resolved...}, "resources": {"ranks": R},
//    "retries": N, "priority": P, "rerun": BOOL, "timeout_ms": MS (0: none; the sweep's
//    `timeout` or the method's default, MethodDefaultTimeoutMs),
//    "dataset_options": {"image_root": DIR, "proposals": FILE,
//                        "eval": {"split": [S, ...], "size": "all" | N, "domain": D}}}
// "dataset" is the source string (an absolute PATH for users' datasets). "dataset_options"
// (datasets/sources/dataset_options.h) is present when the sweep gave the mapping form or
// the dataset is a users' one, whose eval is always resolved (experiments/sweep/
// dataset_check.h: split defaults to the dataset's evaluation splits, size to "all").
// "backbone_seed" is present only when the sweep gives replicates.backbone_seeds (builtin
// backbones): the trial runs on the backbone pretrained with that seed. Methods that train
// nothing have shots 0, data_seed 0 and train_seed 0 (but one item per backbone seed). The
// order is deterministic: methods in file order; within a method its settings (grid order,
// or draw order in random search), then shots in file order, then backbone seeds, then data
// seeds, then train seeds.
// Items with equal keys appear once (the first). "index" is the position, 0-based.
//
// Thread-safe. Reads the dataset and backbone files for their fingerprints (trial_key.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/sweep/spec.h"

namespace chromatune {

// Plans above this many trials are refused unless PlanOptions::force.
inline constexpr int64_t kMaxPlanTrials = 1'000'000;

struct PlanOptions {
  bool force = false;                   // plan even above max_trials
  int64_t max_trials = kMaxPlanTrials;  // the refusal threshold
};

struct Plan {
  std::string name;                   // the sweep name
  std::vector<nlohmann::json> items;  // the trials, in plan order
  int64_t count = 0;                  // items.size()
};

// Expands `spec`. Errors: kResourceExhausted when the plan would exceed max_trials without
// force (the message gives the count); kInvalidArgument (one line per problem, as
// ParseSweep) for problems that only show per setting, e.g. a per-shot map without a value
// for one of the shot counts, or a coop `init` phrase longer than `ctx_len`, or a users'
// dataset that fails its checks (dataset_check.h); kNotFound naming the file when a dataset
// or backbone file is missing.
Result<Plan> PlanSweep(const SweepSpec& spec, const PlanOptions& options = {});

// Upper bound of the number of trials, computed without expanding (exact for grid sweeps
// without distributions). Used for the refusal before any memory is spent.
int64_t CountPlanUpperBound(const SweepSpec& spec);

// {"sweep": NAME, "trials": N, "items": [...]}: the JSON form of `sweep plan`.
nlohmann::json PlanToJson(const Plan& plan);
// The same as PlanToJson(plan).dump(), written item by item without copying the items (a
// 100,000-trial plan is about 50 MB of text).
std::string PlanJsonText(const Plan& plan);

}  // namespace chromatune
