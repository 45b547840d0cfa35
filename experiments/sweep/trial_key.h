// Trial identity: the key under which the store finds a finished identical trial.
//
// key = SHA-256 hex of the canonical JSON of
//   {"backbone", "backbone_fingerprint", "code_version", "data_seed", "dataset",
//    "dataset_fingerprint", "method", "params", "shot_unit", "shots", "task", "train_seed"}
// The sweep name, resources, retries, priority and rerun do NOT enter the key, so the same
// trial is found again from any sweep.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace chromatune {

// Canonical JSON: object keys sorted, no whitespace, integers as integers, doubles in the
// shortest form that reads back to the same double (always with a '.' or exponent, so 1.0
// stays a double), -0.0 printed as 0.0, strings as UTF-8 with JSON escapes. Two equal
// values give equal text. NaN and infinities never reach it (validation refuses them).
std::string CanonicalJson(const nlohmann::json& value);

struct TrialFingerprints {
  std::string backbone;  // BackboneFingerprint()
  std::string dataset;   // DatasetFingerprint()
};

// The key of one plan item (fields as in experiments/sweep/plan.h; the item's own "key",
// "index", "sweep", "resources", "retries", "priority" and "rerun" are ignored).
std::string TrialKey(const nlohmann::json& item, const TrialFingerprints& fingerprints);

}  // namespace chromatune
