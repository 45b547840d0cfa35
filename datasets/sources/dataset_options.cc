#include "datasets/sources/dataset_options.h"

namespace chromatune::datasets {

nlohmann::json EvalOptionsToJson(const EvalOptions& eval) {
  nlohmann::json out = nlohmann::json::object();
  if (!eval.splits.empty()) out["split"] = eval.splits;
  if (eval.size == kEvalSizeAll) out["size"] = "all";
  if (eval.size >= 1) out["size"] = eval.size;
  if (!eval.domain.empty()) out["domain"] = eval.domain;
  return out;
}

nlohmann::json DatasetOptionsToJson(const DatasetOptions& options) {
  nlohmann::json out = nlohmann::json::object();
  if (!options.image_root.empty()) out["image_root"] = options.image_root;
  if (!options.proposals.empty()) out["proposals"] = options.proposals;
  if (!options.eval.empty()) out["eval"] = EvalOptionsToJson(options.eval);
  return out;
}

namespace {

Status Bad(const std::string& field, const std::string& expected) {
  return InvalidArgument("dataset_options." + field + ": expected " + expected);
}

Result<std::string> OptionalString(const nlohmann::json& object, const std::string& key,
                                   const std::string& field) {
  auto it = object.find(key);
  if (it == object.end()) return std::string();
  if (!it->is_string() || it->get<std::string>().empty()) return Bad(field, "a non-empty string");
  return it->get<std::string>();
}

Result<EvalOptions> EvalFromJson(const nlohmann::json& json) {
  EvalOptions eval;
  if (json.is_null()) return eval;
  if (!json.is_object()) return Bad("eval", "an object");
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() != "split" && it.key() != "size" && it.key() != "domain") {
      return InvalidArgument("dataset_options.eval." + it.key() + ": unknown field");
    }
  }
  if (auto it = json.find("split"); it != json.end()) {
    if (!it->is_array() || it->empty()) return Bad("eval.split", "a non-empty list of names");
    for (const auto& s : *it) {
      if (!s.is_string() || s.get<std::string>().empty()) {
        return Bad("eval.split", "a non-empty list of names");
      }
      eval.splits.push_back(s.get<std::string>());
    }
  }
  if (auto it = json.find("size"); it != json.end()) {
    if (it->is_string() && it->get<std::string>() == "all") {
      eval.size = kEvalSizeAll;
    } else if (it->is_number_integer() && it->get<int64_t>() >= 1) {
      eval.size = it->get<int64_t>();
    } else {
      return Bad("eval.size", "\"all\" or an integer >= 1");
    }
  }
  CT_ASSIGN_OR_RETURN(eval.domain, OptionalString(json, "domain", "eval.domain"));
  if (!eval.domain.empty() && eval.domain != "plain" && eval.domain != "shift") {
    return Bad("eval.domain", "plain or shift");
  }
  return eval;
}

}  // namespace

Result<DatasetOptions> DatasetOptionsFromJson(const nlohmann::json& json) {
  DatasetOptions options;
  if (json.is_null()) return options;
  if (!json.is_object()) return InvalidArgument("dataset_options: expected an object");
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() != "image_root" && it.key() != "proposals" && it.key() != "eval") {
      return InvalidArgument("dataset_options." + it.key() + ": unknown field");
    }
  }
  CT_ASSIGN_OR_RETURN(options.image_root, OptionalString(json, "image_root", "image_root"));
  CT_ASSIGN_OR_RETURN(options.proposals, OptionalString(json, "proposals", "proposals"));
  if (auto it = json.find("eval"); it != json.end()) {
    CT_ASSIGN_OR_RETURN(options.eval, EvalFromJson(*it));
  }
  return options;
}

}  // namespace chromatune::datasets
