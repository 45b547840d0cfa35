#include "datasets/json_file.h"

#include "common/regular_file.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace chromatune::datasets {

namespace {
Status Bad(const std::string& file, const std::string& where, const std::string& what) {
  return InvalidArgument(file + ": " + where + ": " + what);
}
// A value for an error message, cut to 60 characters.
std::string Short(const nlohmann::json& value) {
  std::string text = value.dump();
  return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}
}  // namespace

Result<nlohmann::json> ReadJsonFile(const std::string& path) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, "JSON file"));
  std::ifstream in(path);
  if (!in) return IoError(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument(path + ": not valid JSON (byte " + std::to_string(e.byte) +
                           "): " + e.what());
  } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double ("1E400")
    return InvalidArgument(path + ": not valid JSON: " + e.what());
  }
}

Result<const nlohmann::json*> JsonMember(const std::string& file, const nlohmann::json& object,
                                         const std::string& where, const std::string& key) {
  const std::string field = where.empty() ? "\"" + key + "\"" : where + "." + key;
  if (!object.is_object())
    return Bad(file, where.empty() ? "top level" : where, "must be an object");
  auto it = object.find(key);
  if (it == object.end()) return Bad(file, field, "missing");
  return &*it;
}

Result<int64_t> JsonInt(const std::string& file, const nlohmann::json& value,
                        const std::string& where) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::fabs(d) < 9e15 && d == std::floor(d)) return static_cast<int64_t>(d);
  }
  return Bad(file, where, "must be an integer, got " + Short(value));
}

Result<double> JsonNumber(const std::string& file, const nlohmann::json& value,
                          const std::string& where) {
  if (value.is_number()) return value.get<double>();
  return Bad(file, where, "must be a number, got " + Short(value));
}

Result<std::string> JsonString(const std::string& file, const nlohmann::json& value,
                               const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  return Bad(file, where, "must be a string, got " + Short(value));
}

Status JsonExpect(const std::string& file, const nlohmann::json& value, const std::string& where,
                  const std::string& kind) {
  const bool ok = kind == "array" ? value.is_array() : value.is_object();
  if (!ok) return Bad(file, where, "must be an " + kind);
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string JoinPath(const std::string& root, const std::string& relative) {
  if (!relative.empty() && relative.front() == '/') return relative;
  if (root.empty()) return relative;
  return root.back() == '/' ? root + relative : root + "/" + relative;
}

}  // namespace chromatune::datasets
