#include "datasets/coop_split.h"

#include <filesystem>
#include <map>

#include "datasets/json_file.h"

namespace chromatune::datasets {

namespace {

// Parses one part ("train", "val", "test") into entries, collecting class names by label.
Status ParsePart(const std::string& file, const nlohmann::json& part, const std::string& name,
                 const std::string& root, std::vector<CoopEntry>* entries,
                 std::vector<std::string>* names, std::map<std::string, std::string>* seen) {
  const std::string where = "\"" + name + "\"";
  CT_RETURN_IF_ERROR(JsonExpect(file, part, where, "array"));
  for (size_t i = 0; i < part.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const nlohmann::json& row = part[i];
    if (!row.is_array() || row.size() != 3) {
      return InvalidArgument(file + ": " + at + ": must be [relpath, label, classname]");
    }
    CT_ASSIGN_OR_RETURN(std::string rel, JsonString(file, row[0], at + "[0]"));
    if (rel.empty()) return InvalidArgument(file + ": " + at + "[0]: empty image path");
    CT_ASSIGN_OR_RETURN(int64_t label, JsonInt(file, row[1], at + "[1]"));
    if (label < 0 || label > 100000) {
      return InvalidArgument(file + ": " + at + "[1]: label must be an integer 0..100000, got " +
                             std::to_string(label));
    }
    CT_ASSIGN_OR_RETURN(std::string cls, JsonString(file, row[2], at + "[2]"));
    if (cls.empty()) return InvalidArgument(file + ": " + at + "[2]: empty class name");
    if (names->size() <= static_cast<size_t>(label)) names->resize(static_cast<size_t>(label) + 1);
    std::string& known = (*names)[static_cast<size_t>(label)];
    if (known.empty()) {
      known = cls;
    } else if (known != cls) {
      return InvalidArgument(file + ": " + at + "[2]: class name \"" + cls + "\" for label " +
                             std::to_string(label) + ", but it was named \"" + known + "\" before");
    }
    const std::string key = std::filesystem::path(rel).lexically_normal().string();
    auto [first, inserted] = seen->emplace(key, at + "[0]");
    if (!inserted) {
      return InvalidArgument(file + ": " + at + "[0]: duplicate path \"" + rel + "\" (also at " +
                             first->second + ")");
    }
    entries->push_back({JoinPath(root, rel), rel, static_cast<int>(label)});
  }
  return Status::Ok();
}

}  // namespace

Result<CoopSplit> ReadCoopSplit(const std::string& json_path, const std::string& image_root) {
  CT_ASSIGN_OR_RETURN(nlohmann::json doc, ReadJsonFile(json_path));
  CT_RETURN_IF_ERROR(JsonExpect(json_path, doc, "top level", "object"));
  const std::string root = image_root.empty() ? DirName(json_path) : image_root;
  std::error_code ec;
  if (!image_root.empty() && !std::filesystem::is_directory(image_root, ec)) {
    return NotFound(json_path + ": image_root " + image_root + ": folder not found");
  }
  CoopSplit split;
  std::map<std::string, std::string> seen;  // normalised relpath -> where it was listed
  for (const char* part : {"train", "val", "test"}) {
    auto it = doc.find(part);
    if (it == doc.end()) {
      if (std::string(part) == "val") continue;
      return InvalidArgument(json_path + ": \"" + part + "\": missing");
    }
    std::vector<CoopEntry>* entries = std::string(part) == "train" ? &split.train
                                      : std::string(part) == "val" ? &split.val
                                                                   : &split.test;
    CT_RETURN_IF_ERROR(ParsePart(json_path, *it, part, root, entries, &split.class_names, &seen));
  }
  if (split.train.empty()) return InvalidArgument(json_path + ": \"train\": no examples");
  if (split.test.empty()) return InvalidArgument(json_path + ": \"test\": no examples");
  for (size_t label = 0; label < split.class_names.size(); ++label) {
    if (split.class_names[label].empty()) {
      return InvalidArgument(json_path + ": label " + std::to_string(label) +
                             " is never used (labels must be 0..C-1 without gaps)");
    }
  }
  return split;
}

}  // namespace chromatune::datasets
