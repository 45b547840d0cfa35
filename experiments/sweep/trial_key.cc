#include "experiments/sweep/trial_key.h"

#include <cmath>

#include "common/sha256.h"
#include "common/version.h"

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

std::string TrialKey(const nlohmann::json& item, const TrialFingerprints& fingerprints) {
  nlohmann::json identity = nlohmann::json::object();
  for (const char* field : {"task", "dataset", "backbone", "method", "shots", "shot_unit",
                            "data_seed", "train_seed", "params"}) {
    auto it = item.find(field);
    identity[field] = it == item.end() ? nlohmann::json(nullptr) : *it;
  }
  identity["backbone_fingerprint"] = fingerprints.backbone;
  identity["dataset_fingerprint"] = fingerprints.dataset;
  identity["code_version"] = kTrialCodeVersion;
  return Sha256Hex(CanonicalJson(identity));
}

}  // namespace chromatune
