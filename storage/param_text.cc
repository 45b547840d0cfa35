#include "storage/param_text.h"

namespace chromatune {

std::string ParamValueText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) {
    auto name = value.find("name");
    if (name != value.end() && name->is_string()) return name->get<std::string>();
  }
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? "," : "") + ParamValueText(value[i]);
    return out + "]";
  }
  return value.dump();
}

std::string ParamsText(const nlohmann::json& params) {
  std::string out;
  if (!params.is_object()) return out;
  for (const auto& item : params.items()) {
    const nlohmann::json& v = item.value();
    if (v.is_null()) continue;
    if (!out.empty()) out += ' ';
    out += item.key() + "=" + (v.is_string() ? v.dump() : ParamValueText(v));
  }
  return out;
}

}  // namespace chromatune
