#include "experiments/methods/trial_spec.h"

#include <algorithm>

#include "experiments/sweep/backbone_ref.h"

namespace chromatune::methods {
namespace {

Status FieldError(const std::string& field, const std::string& problem) {
  return InvalidArgument("plan item: field \"" + field + "\": " + problem);
}

Result<std::string> RequiredString(const nlohmann::json& item, const std::string& field) {
  if (!item.contains(field)) return FieldError(field, "missing");
  if (!item[field].is_string() || item[field].get<std::string>().empty()) {
    return FieldError(field, "expected a non-empty string, got " + item[field].dump());
  }
  return item[field].get<std::string>();
}

Result<uint64_t> OptionalSeed(const nlohmann::json& item, const std::string& field) {
  if (!item.contains(field)) return uint64_t{0};
  const auto& v = item[field];
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
    return FieldError(field, "expected an integer >= 0, got " + v.dump());
  }
  return v.get<uint64_t>();
}

}  // namespace

Result<TrialSpec> ParseTrialSpec(const nlohmann::json& item) {
  if (!item.is_object()) return InvalidArgument("plan item: expected a JSON object");
  TrialSpec spec;
  CT_ASSIGN_OR_RETURN(spec.task_name, RequiredString(item, "task"));
  if (spec.task_name == "classification") {
    spec.task = Task::kClassification;
  } else if (spec.task_name == "grounding") {
    spec.task = Task::kGrounding;
  } else {
    return FieldError(
        "task", "unknown task \"" + spec.task_name + "\" (expected classification or grounding)");
  }
  CT_ASSIGN_OR_RETURN(spec.dataset, RequiredString(item, "dataset"));
  CT_ASSIGN_OR_RETURN(spec.backbone, RequiredString(item, "backbone"));
  CT_ASSIGN_OR_RETURN(spec.method, RequiredString(item, "method"));
  if (item.contains("shots")) {
    const auto& v = item["shots"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0) {
      return FieldError("shots", "expected an integer >= 0, got " + v.dump());
    }
    spec.shots = v.get<int64_t>();
  }
  if (item.contains("shot_unit")) {
    CT_ASSIGN_OR_RETURN(spec.shot_unit, RequiredString(item, "shot_unit"));
    if (spec.shot_unit != "per_class" && spec.shot_unit != "total") {
      return FieldError("shot_unit", "expected per_class or total, got \"" + spec.shot_unit + "\"");
    }
  }
  if (item.contains("backbone_seed")) {
    if (!IsBuiltinBackbone(spec.backbone)) {
      return FieldError("backbone_seed", "only builtin backbones are pretrained with a seed; \"" +
                                             spec.backbone + "\" is the weights of a file");
    }
    CT_ASSIGN_OR_RETURN(spec.backbone_seed, OptionalSeed(item, "backbone_seed"));
  }
  CT_ASSIGN_OR_RETURN(spec.data_seed, OptionalSeed(item, "data_seed"));
  CT_ASSIGN_OR_RETURN(spec.train_seed, OptionalSeed(item, "train_seed"));
  if (item.contains("eval_size")) {
    const auto& v = item["eval_size"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1) {
      return FieldError("eval_size", "expected an integer >= 1, got " + v.dump());
    }
    spec.eval_size = v.get<int64_t>();
  }
  if (item.contains("precision")) {
    CT_ASSIGN_OR_RETURN(spec.precision, RequiredString(item, "precision"));
    if (spec.precision != "fp32" && spec.precision != "bf16" && spec.precision != "fp16") {
      return FieldError("precision", "expected fp32, bf16 or fp16, got \"" + spec.precision + "\"");
    }
  }
  if (item.contains("dataset_options")) {
    auto options = datasets::DatasetOptionsFromJson(item["dataset_options"]);
    if (!options.ok()) return options.status().WithContext("plan item");
    spec.dataset_options = std::move(options).value();
  }
  if (item.contains("params")) {
    if (!item["params"].is_object()) return FieldError("params", "expected an object");
    spec.params = item["params"];
  }
  return spec;
}

std::string ModelName(const TrialSpec& spec) {
  if (!spec.backbone_seed) return spec.backbone;
  return SeededBackboneName(spec.backbone, static_cast<int64_t>(*spec.backbone_seed));
}

void ParamReader::Fail(const std::string& name, const std::string& problem) {
  if (status_.ok()) status_ = InvalidArgument("params." + name + ": " + problem);
}

nlohmann::json ParamReader::Raw(const std::string& name, const nlohmann::json& def) const {
  return params_.contains(name) ? params_[name] : def;
}

int64_t ParamReader::Int(const std::string& name, int64_t def, int64_t min, int64_t max) {
  if (!params_.contains(name)) return def;
  const auto& v = params_[name];
  if (!v.is_number_integer()) {
    Fail(name, "expected an integer, got " + v.dump());
    return def;
  }
  const int64_t x = v.get<int64_t>();
  if (x < min || x > max) {
    Fail(name, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                   std::to_string(x));
    return def;
  }
  return x;
}

double ParamReader::Double(const std::string& name, double def, double min, double max) {
  if (!params_.contains(name)) return def;
  const auto& v = params_[name];
  if (!v.is_number()) {
    Fail(name, "expected a number, got " + v.dump());
    return def;
  }
  const double x = v.get<double>();
  if (!(x >= min && x <= max)) {
    Fail(name,
         "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + v.dump());
    return def;
  }
  return x;
}

bool ParamReader::Bool(const std::string& name, bool def) {
  if (!params_.contains(name)) return def;
  const auto& v = params_[name];
  if (!v.is_boolean()) {
    Fail(name, "expected true or false, got " + v.dump());
    return def;
  }
  return v.get<bool>();
}

std::string ParamReader::String(const std::string& name, const std::string& def) {
  if (!params_.contains(name)) return def;
  const auto& v = params_[name];
  if (!v.is_string()) {
    Fail(name, "expected a string, got " + v.dump());
    return def;
  }
  return v.get<std::string>();
}

std::string ParamReader::Enum(const std::string& name, const std::string& def,
                              const std::vector<std::string>& choices) {
  std::string s = String(name, def);
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  Fail(name, "expected one of " + list + ", got \"" + s + "\"");
  return def;
}

}  // namespace chromatune::methods
