#include "coordinator/protocol/group_devices.h"

#include <vector>

namespace chromatune::protocol {
namespace {

// "cpu", "cuda:N", or the entry's kind (or string) as it stands.
std::string EntryText(const nlohmann::json& d) {
  if (d.is_string()) return d.get<std::string>();
  const std::string kind = d.value("kind", std::string("?"));
  if (kind == "cuda" && d.contains("index") && d["index"].is_number_integer()) {
    return "cuda:" + std::to_string(d["index"].get<int64_t>());
  }
  return kind;
}

}  // namespace

nlohmann::json CpuDevice() { return {{"kind", "cpu"}}; }

nlohmann::json CudaDevice(int index, const std::string& name) {
  return {{"kind", "cuda"}, {"index", index}, {"name", name}};
}

Status CheckGroupDevices(const nlohmann::json& devices) {
  if (!devices.is_array()) return InvalidArgument("devices: expected a list");
  for (size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    const std::string where = "devices[" + std::to_string(i) + "]: ";
    if (d.is_string()) continue;  // workers before issue 16: "cpu"
    if (!d.is_object() || !d.contains("kind") || !d["kind"].is_string()) {
      return InvalidArgument(where + "expected {\"kind\": \"cpu\" | \"cuda\", ...} or a string");
    }
    if (d.contains("index") && !d["index"].is_number_integer()) {
      return InvalidArgument(where + "\"index\" must be an integer");
    }
    if (d.contains("name") && !d["name"].is_string()) {
      return InvalidArgument(where + "\"name\" must be a string");
    }
  }
  return Status::Ok();
}

std::string GroupDevicesText(const nlohmann::json& devices) {
  if (!devices.is_array() || devices.empty()) return "-";
  std::vector<std::string> entries;
  std::vector<std::string> names;  // distinct GPU product names, in order of appearance
  for (const auto& d : devices) {
    entries.push_back(EntryText(d));
    if (d.is_object() && d.value("kind", std::string()) == "cuda" && d.contains("name") &&
        d["name"].is_string()) {
      const std::string name = d["name"].get<std::string>();
      bool seen = false;
      for (const auto& n : names) seen = seen || n == name;
      if (!seen && name != entries.back()) names.push_back(name);
    }
  }
  bool same = true;
  for (const auto& e : entries) same = same && e == entries.front();
  std::string text;
  if (same && entries.size() > 1 && entries.front().rfind("cuda:", 0) != 0) {
    // Ranks on the CPU (or of an unnamed kind) look alike: count them.
    text = std::to_string(entries.size()) + "x " + entries.front();
  } else {
    // GPUs are listed one by one: which ones a group holds is the point of the column.
    for (size_t i = 0; i < entries.size(); ++i) text += (i ? "," : "") + entries[i];
  }
  if (!names.empty()) {
    text += " (";
    for (size_t i = 0; i < names.size(); ++i) text += (i ? ", " : "") + names[i];
    text += ")";
  }
  return text;
}

}  // namespace chromatune::protocol
