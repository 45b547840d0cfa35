// Reading one method parameter from YAML: the value forms of docs/sweeps.md ("How values are
// read"), typed and range-checked against its ParamDef, resolved to the JSON the plan puts
// in "params" (colours to {"name", "rgb"}, builtin template sets to their templates).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "experiments/sweep/diagnostics.h"
#include "experiments/sweep/method_catalog.h"
#include "experiments/sweep/spec.h"

namespace chromatune {

// One value of the parameter (never a sweep): e.g. 16, "end", a colour, a palette, a
// template set. Adds diagnostics under `path` and returns nullopt when invalid.
std::optional<nlohmann::json> ParseParamValue(const ParamDef& def, const YAML::Node& node,
                                              const std::string& path, Diagnostics& diag);

// The parameter as written: a value, a list to sweep, a per-shot map or a distribution.
// Adds diagnostics and returns nullopt when invalid. Whether a per-shot map is allowed for
// the method is the caller's check.
std::optional<ParamSetting> ParseParamSetting(const ParamDef& def, const YAML::Node& node,
                                              const std::string& path, Diagnostics& diag);

// The setting of a parameter that the file leaves out: its default, fixed; or, for a
// default that depends on the shot count, a per-shot map over the shot counts >= 1 of
// `shots`.
ParamSetting DefaultSetting(const ParamDef& def, const std::vector<int64_t>& shots);

// "16", "\"end\"", "red" ... : a short rendering of a resolved value for messages.
std::string DescribeValue(const nlohmann::json& value);

}  // namespace chromatune
