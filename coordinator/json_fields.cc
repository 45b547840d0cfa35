#include "coordinator/json_fields.h"

namespace chromatune::coordinator {

bool JsonNestsDeeperThan(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

Result<nlohmann::json> ParseJsonObject(const std::string& body, const std::string& route) {
  if (JsonNestsDeeperThan(body, kMaxJsonDepth)) {
    return InvalidArgument(route + ": JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels");
  }
  try {
    nlohmann::json j = nlohmann::json::parse(body);
    if (!j.is_object()) return InvalidArgument(route + ": body must be a JSON object");
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument(route + ": malformed JSON at byte " + std::to_string(e.byte) + ": " +
                           e.what());
  } catch (const nlohmann::json::exception& e) {
    // A number out of double's range ("1E400") is out_of_range, not parse_error (found by
    // tests/fuzz/result_wire_fuzz; it escaped to the server's catch-all as a 500).
    return InvalidArgument(route + ": malformed JSON: " + e.what());
  }
}

Status JsonFields::Error(const char* name, const std::string& what) const {
  return InvalidArgument(route_ + ": field \"" + name + "\": " + what);
}

Result<int64_t> JsonFields::Int(const char* name, int64_t min, int64_t max) const {
  if (!j_.contains(name)) return Error(name, "missing");
  return IntOr(name, 0, min, max);
}

Result<int64_t> JsonFields::IntOr(const char* name, int64_t fallback, int64_t min,
                                  int64_t max) const {
  auto it = j_.find(name);
  if (it == j_.end()) return fallback;
  if (!it->is_number_integer()) return Error(name, "expected an integer");
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) {
    return Error(name, std::to_string(v) + " is outside [" + std::to_string(min) + ", " +
                           std::to_string(max) + "]");
  }
  return v;
}

Result<double> JsonFields::DoubleOr(const char* name, double fallback) const {
  auto it = j_.find(name);
  if (it == j_.end()) return fallback;
  if (!it->is_number()) return Error(name, "expected a number");
  return it->get<double>();
}

Result<std::string> JsonFields::String(const char* name) const {
  auto it = j_.find(name);
  if (it == j_.end()) return Error(name, "missing");
  if (!it->is_string()) return Error(name, "expected a string");
  return it->get<std::string>();
}

Result<std::string> JsonFields::StringOr(const char* name, const std::string& fallback) const {
  if (!j_.contains(name)) return fallback;
  return String(name);
}

Result<bool> JsonFields::BoolOr(const char* name, bool fallback) const {
  auto it = j_.find(name);
  if (it == j_.end()) return fallback;
  if (!it->is_boolean()) return Error(name, "expected true or false");
  return it->get<bool>();
}

}  // namespace chromatune::coordinator
