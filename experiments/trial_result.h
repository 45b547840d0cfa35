// TrialResult: what one trial returns, on every rank-0 worker, to the coordinator.
// Plain data (no LibTorch) so that storage/, worker/ and coordinator/ can use it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune {

// One point of a training curve: metric `name` (e.g. "train_loss") at `step` (epoch or
// optimiser step, as the method documents).
struct CurvePoint {
  std::string name;
  int64_t step = 0;
  double value = 0.0;
};

// A named float array with its shape (row-major). Examples: "predictions" [N],
// "context_vectors" [M, D], "cpt_color_scores" [N, C].
struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct TrialResult {
  // Final metrics; "accuracy" is always present for classification and grounding.
  std::map<std::string, double> metrics;
  std::vector<CurvePoint> curves;
  std::vector<NamedArray> arrays;
  // Small method-specific extras that are not float arrays (e.g. nearest words of learned
  // context vectors), kept as JSON.
  nlohmann::json info = nlohmann::json::object();
  double wall_seconds = 0.0;
};

// JSON form (arrays included, as lists): used by `chromatune trial` and the protocol.
nlohmann::json TrialResultToJson(const TrialResult& result);
Result<TrialResult> TrialResultFromJson(const nlohmann::json& j);

}  // namespace chromatune
