// The methods a sweep file may name, their parameters, types, ranges and defaults: the one
// place these are declared (docs/sweeps.md documents the same table; a test checks both
// agree). The plan fills every parameter in; a trial spec written without the plan gets the
// same defaults from here (WithDefaults, used by experiments/methods/method_params.cc).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chromatune {

enum class ParamType {
  kInt,        // JSON integer in [min, max]
  kFloat,      // JSON double in [min, max]
  kBool,       // true | false
  kString,     // any string (templates: see `placeholders`)
  kEnum,       // one of `choices`
  kColor,      // a name of SweepColors() or [r, g, b]; resolved to {"name", "rgb"}
  kPalette,    // a palette name or a list of colours; resolved to a list of colours, or null
  kTemplates,  // builtin:clip-7 or a list of template strings; resolved to the list
};

struct ParamDef {
  std::string name;
  ParamType type = ParamType::kInt;
  nlohmann::json default_value;  // resolved form
  double min = 0.0;              // kInt / kFloat: the allowed range
  double max = 0.0;
  bool exclusive_min = false;             // kFloat: value must be > min (learning rates)
  std::vector<std::string> choices;       // kEnum
  std::vector<std::string> placeholders;  // kString / kTemplates: each must occur once
  std::string doc;                        // one line, for docs and messages
  // When set, the default depends on the shot count (default_value is then null): the
  // parameter left out of a file resolves, at each shot count K, to per_shot_default(K).
  int64_t (*per_shot_default)(int64_t shots) = nullptr;
};

// CoOp's epochs for K shots: 50/100/100/200/200 for 1/2/4/8/16; in between, 50 at K <= 1,
// 100 at K <= 4, 200 above. The default `epochs` of coop, vpt, pad-prompt and finetune.
int64_t CoopEpochSchedule(int64_t shots);

struct MethodDef {
  std::string name;
  // Whether it trains. cpt trains only with epochs > 0 (decided per setting): see
  // SettingTrains.
  bool trains = false;
  std::vector<std::string> tasks;  // classification and/or grounding
  std::vector<ParamDef> params;    // in grid order (first varies slowest)
  std::string doc;
};

// Whether `v` lies in a kInt / kFloat parameter's range (exclusive_min respected), and the
// range as messages state it: "must be >= 1 and <= 64". The sweep validator and the
// runtime's parameter reader (experiments/methods/method_params.cc) both check with these.
bool InRange(const ParamDef& def, double v);
std::string RangeText(const ParamDef& def);

// Every method, in the order of docs/sweeps.md.
const std::vector<MethodDef>& MethodCatalog();

// The method called `name`, or nullptr.
const MethodDef* FindMethod(const std::string& name);

// The templates of a builtin set ("builtin:clip-7": CLIP's 7 ImageNet templates), or
// nullptr for an unknown name.
const std::vector<std::string>* FindBuiltinTemplates(const std::string& name);
std::vector<std::string> BuiltinTemplateNames();

// `params` with every parameter of `method` that it lacks set to its default at `shots`
// shots, in the resolved form the plan writes (per-shot defaults resolved). Members
// `params` has are kept as they are, known or not; a `params` that is not an object is
// returned unchanged. The runtime reads a trial's parameters through this, so a default is
// stated here only.
nlohmann::json WithDefaults(const MethodDef& method, const nlohmann::json& params, int64_t shots);

// How long a trial of `method` may go without a step (a progress report) when the sweep sets
// no `timeout`: a training epoch or a pretraining step of the builtin backbones takes seconds
// to minutes on CPU; an evaluation-only method reports once it has encoded the evaluation set,
// which for a user's full test split with a real CLIP on CPU can take long. noop reports every
// 50 ms. Unknown methods get the longest default.
int64_t MethodDefaultTimeoutMs(const std::string& method);

// Whether one resolved setting (params) of `method` trains: cpt with epochs > 0, else
// method.trains.
bool SettingTrains(const MethodDef& method, const nlohmann::json& params);

}  // namespace chromatune
