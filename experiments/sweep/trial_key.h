// Trial identity: the key under which the store finds a finished identical trial.
//
// key = SHA-256 hex of the canonical JSON of
//   {"backbone", "backbone_fingerprint", "code_version", "data_seed", "dataset",
//    "dataset_fingerprint", "method", "params", "shot_unit", "shots", "task", "train_seed"}
// The sweep name, resources, retries, priority and rerun do NOT enter the key, so the same
// trial is found again from any sweep. "backbone" and "dataset" enter without their file
// paths (BackboneKeyName, DatasetKeyName): the fingerprints stand for the files' content, so
// a moved checkpoint or dataset keeps its keys. When the item has
// "dataset_options"."eval" (plan.h), the key also holds it as "dataset_eval": evaluating on
// other splits, sizes or domains is another trial; image_root and proposals stay out (their
// content is in the dataset fingerprint). An item with "precision" other than fp32 adds it
// (bf16 and fp16 are other arithmetic); fp32 items carry no field, so their keys are those
// from before precision existed. Likewise "backbone_seed" (replicates.backbone_seeds)
// enters only when the item has it; fingerprints.backbone is then the seeded backbone's.
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
// "index", "sweep", "resources", "retries", "priority", "rerun" and "timeout_ms" are ignored).
std::string TrialKey(const nlohmann::json& item, const TrialFingerprints& fingerprints);

// The keys of items that differ only in their seeds, without rebuilding JSON per item (the
// plan computes 100,000 keys in a fraction of a second this way). Key(d, t) equals TrialKey
// of `item` with data_seed d and train_seed t.
class SeedKeyHasher {
 public:
  SeedKeyHasher(const nlohmann::json& item, const TrialFingerprints& fingerprints);
  std::string Key(int64_t data_seed, int64_t train_seed) const;

 private:
  // Canonical identity text = head_ + DATA_SEED + middle_ + TRAIN_SEED + tail_.
  std::string head_;
  std::string middle_;
  std::string tail_;
};

}  // namespace chromatune
