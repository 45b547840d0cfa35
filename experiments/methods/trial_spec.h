// TrialSpec: one plan item (experiments/runner.h documents its JSON) parsed into typed
// fields, with the method's parameters read through ParamReader so that every bad value is
// reported as "params.FIELD: problem".
//
// The plan fills every parameter with its default (docs/sweeps.md); the defaults below are
// the same values, used when an item is written by hand for `chromatune trial`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "datasets/sources/dataset_options.h"

namespace chromatune::methods {

enum class Task { kClassification, kGrounding };

struct TrialSpec {
  Task task = Task::kClassification;
  std::string task_name;  // "classification" | "grounding"
  std::string dataset;    // fashion-mnist | fashion-mnist-shift | fashion-ref | ...
  std::string backbone;   // builtin:tiny-clip | builtin:tiny-fusion | torchscript:PATH
  std::string method;
  int64_t shots = 0;
  std::string shot_unit = "per_class";  // per_class | total
  // The pretraining seed of a builtin backbone (replicates.backbone_seeds), absent for the
  // backbone as named. An error for clip:, torchscript: and spec: backbones.
  std::optional<uint64_t> backbone_seed;
  uint64_t data_seed = 0;
  uint64_t train_seed = 0;
  nlohmann::json params = nlohmann::json::object();
  // Optional top-level "eval_size": the evaluation subset size (0 = the dataset's default,
  // datasets/task_data.h). The plan never sets it; tests and benches use it to stay fast.
  int64_t eval_size = 0;
  // Optional top-level "precision": fp32 (default) | bf16 | fp16 (experiments/models/precision.h).
  std::string precision = "fp32";
  // The plan item's "dataset_options" (the sweep's dataset mapping: image root, eval splits
  // and size, proposals), empty for a plain dataset string.
  datasets::DatasetOptions dataset_options;
};

// Parses the item; errors name the field ("plan item: field \"shots\": ...").
Result<TrialSpec> ParseTrialSpec(const nlohmann::json& item);

// The name the models library loads (models/backbone.h): the backbone with its seed, e.g.
// "builtin:tiny-clip?seed=3", or the backbone as named when the item has no backbone_seed.
std::string ModelName(const TrialSpec& spec);

// Reads typed values from `params`, remembering the first problem. Usage: read all fields,
// then return reader.status() (which names the offending field).
class ParamReader {
 public:
  explicit ParamReader(const nlohmann::json& params) : params_(params) {}

  int64_t Int(const std::string& name, int64_t def, int64_t min, int64_t max);
  double Double(const std::string& name, double def, double min, double max);
  bool Bool(const std::string& name, bool def);
  std::string String(const std::string& name, const std::string& def);
  // One of `choices`.
  std::string Enum(const std::string& name, const std::string& def,
                   const std::vector<std::string>& choices);
  // The raw value, or `def` when absent.
  nlohmann::json Raw(const std::string& name, const nlohmann::json& def) const;
  // Records a problem found by the caller for `name`.
  void Fail(const std::string& name, const std::string& problem);

  const Status& status() const { return status_; }

 private:
  const nlohmann::json& params_;
  Status status_;
};

}  // namespace chromatune::methods
