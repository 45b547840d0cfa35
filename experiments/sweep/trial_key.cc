#include "experiments/sweep/trial_key.h"

#include <cmath>

#include "common/sha256.h"
#include "common/version.h"
#include "experiments/sweep/backbone_ref.h"

namespace chromatune {
namespace {

// Copies `value` with every -0.0 replaced by 0.0 (the only double whose shortest form is
// not unique for its value).
nlohmann::json WithoutNegativeZero(const nlohmann::json& value) {
  if (value.is_number_float()) return value.get<double>() + 0.0;
  if (value.is_array() || value.is_object()) {
    nlohmann::json out = value;
    for (auto& element : out) element = WithoutNegativeZero(element);
    return out;
  }
  return value;
}

bool HasNegativeZero(const nlohmann::json& value) {
  if (value.is_number_float()) {
    const double d = value.get<double>();
    return d == 0.0 && std::signbit(d);
  }
  if (value.is_array() || value.is_object()) {
    for (const auto& element : value) {
      if (HasNegativeZero(element)) return true;
    }
  }
  return false;
}

}  // namespace

std::string CanonicalJson(const nlohmann::json& value) {
  // nlohmann::json keeps object keys in a std::map (sorted by bytes) and prints doubles in
  // their shortest round-trip form with ".0" for integral values; invalid UTF-8 is replaced
  // rather than thrown on.
  const nlohmann::json& v = HasNegativeZero(value) ? WithoutNegativeZero(value) : value;
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// The fields of the key (trial_key.h), from the item and the fingerprints.
nlohmann::json Identity(const nlohmann::json& item, const TrialFingerprints& fingerprints) {
  nlohmann::json identity = nlohmann::json::object();
  for (const char* field : {"task", "dataset", "backbone", "method", "shots", "shot_unit",
                            "data_seed", "train_seed", "params"}) {
    auto it = item.find(field);
    identity[field] = it == item.end() ? nlohmann::json(nullptr) : *it;
  }
  // Paths leave the key: the fingerprints stand for the files' content (backbone_ref.h).
  if (identity["backbone"].is_string()) {
    identity["backbone"] = BackboneKeyName(identity["backbone"].get<std::string>());
  }
  if (identity["dataset"].is_string()) {
    identity["dataset"] = DatasetKeyName(identity["dataset"].get<std::string>());
  }
  // What a trial evaluates on changes its results; where the files are does not. Absent for
  // the string form of builtin datasets, so their keys are what they were.
  if (auto options = item.find("dataset_options");
      options != item.end() && options->is_object() && options->contains("eval")) {
    identity["dataset_eval"] = options->at("eval");
  }
  // Reduced precision changes the arithmetic; fp32 is the item without the field, so keys
  // from before `precision` existed stay what they were.
  if (auto precision = item.find("precision");
      precision != item.end() && *precision != nlohmann::json("fp32")) {
    identity["precision"] = *precision;
  }
  // Another pretraining run is another model; items without backbone_seeds carry no field,
  // so their keys stay what they were.
  if (auto seed = item.find("backbone_seed"); seed != item.end()) {
    identity["backbone_seed"] = *seed;
  }
  identity["backbone_fingerprint"] = fingerprints.backbone;
  identity["dataset_fingerprint"] = fingerprints.dataset;
  identity["code_version"] = kTrialCodeVersion;
  return identity;
}

}  // namespace

std::string TrialKey(const nlohmann::json& item, const TrialFingerprints& fingerprints) {
  return Sha256Hex(CanonicalJson(Identity(item, fingerprints)));
}

SeedKeyHasher::SeedKeyHasher(const nlohmann::json& item, const TrialFingerprints& fingerprints) {
  // Placeholders that print as JSON strings; their quoted, escaped form with its field name
  // occurs once in the text (inside a string value a quote would be escaped).
  nlohmann::json identity = Identity(item, fingerprints);
  identity["data_seed"] = std::string("\x01") + "D";
  identity["train_seed"] = std::string("\x01") + "T";
  const std::string text = CanonicalJson(identity);
  const std::string data_mark = "\"data_seed\":\"\\u0001D\"";
  const std::string train_mark = "\"train_seed\":\"\\u0001T\"";
  const size_t d = text.find(data_mark);
  const size_t t = text.find(train_mark);
  head_ = text.substr(0, d) + "\"data_seed\":";
  middle_ = text.substr(d + data_mark.size(), t - d - data_mark.size()) + "\"train_seed\":";
  tail_ = text.substr(t + train_mark.size());
}

std::string SeedKeyHasher::Key(int64_t data_seed, int64_t train_seed) const {
  Sha256 hash;
  hash.Update(head_);
  hash.Update(std::to_string(data_seed));
  hash.Update(middle_);
  hash.Update(std::to_string(train_seed));
  hash.Update(tail_);
  return hash.HexDigest();
}

}  // namespace chromatune
