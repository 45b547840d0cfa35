// Parameters as people read them, one rule for every view: the report's tables
// (storage/report_format.h), exports (`chromatune export`, storage/sweep_rows.h) and the
// dashboard's trial table, cells and plot legends (dashboards/), so a setting reads the same
// everywhere (docs/statistics.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace chromatune {

// A parameter value as a flat cell reads it: an object with a string "name" (a colour,
// {"name": "red", "rgb": [...]}) by its name, a list element by element as "[a,b]", a
// string as itself, anything else as JSON.
std::string ParamValueText(const nlohmann::json& value);

// Parameters as "k=v k=v", in the object's key order: a string value quoted as JSON (so one
// with spaces reads as one value), any other by ParamValueText; parameters that are null (a
// parameter a cell does not set, e.g. `palette` of a single-colour CPT cell) are left out.
// "" when none is left or `params` is not an object.
std::string ParamsText(const nlohmann::json& params);

}  // namespace chromatune
