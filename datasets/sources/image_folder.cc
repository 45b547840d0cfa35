#include "datasets/sources/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/regular_file.h"

namespace chromatune::datasets {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsDirectory(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The sub-folders of `dir` (hidden ones, such as .ipynb_checkpoints, skipped), sorted.
Result<std::vector<std::string>> ClassFolders(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) out.push_back(name);
  }
  if (ec) return IoError(dir.string() + ": cannot list the folder (" + ec.message() + ")");
  std::sort(out.begin(), out.end());
  return out;
}

// The image files of one class folder, sorted by name.
Result<std::vector<std::string>> ImageFiles(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || !HasImageExtension(name)) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    if (!it->is_regular_file(type_ec)) {
      return InvalidArgument(it->path().string() +
                             ": not a regular file (a device, FIFO, socket or broken link)");
    }
    out.push_back(name);
  }
  if (ec) return IoError(dir.string() + ": cannot list the folder (" + ec.message() + ")");
  std::sort(out.begin(), out.end());
  return out;
}

// classnames.txt: "<folder> <class name>" lines, split at the first whitespace.
Result<std::map<std::string, std::string>> ReadClassNames(const std::string& path) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, "class-name file"));
  std::ifstream in(path);
  if (!in) return IoError(path + ": cannot read");
  std::map<std::string, std::string> names;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string at = path + ":" + std::to_string(number) + ": ";
    const size_t begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos) continue;  // a blank line
    const size_t split = line.find_first_of(" \t", begin);
    const std::string folder = line.substr(begin, split - begin);
    const size_t name_begin =
        split == std::string::npos ? std::string::npos : line.find_first_not_of(" \t", split);
    if (name_begin == std::string::npos) {
      return InvalidArgument(at + "no class name after folder \"" + folder +
                             "\" (lines are \"<folder> <class name>\")");
    }
    const size_t name_end = line.find_last_not_of(" \t");
    if (!names.emplace(folder, line.substr(name_begin, name_end + 1 - name_begin)).second) {
      return InvalidArgument(at + "folder \"" + folder + "\" is named twice");
    }
  }
  return names;
}

}  // namespace

bool HasImageExtension(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string ext = Lower(name.substr(dot));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

Result<DatasetManifest> ReadImageFolder(const std::string& root_text) {
  fs::path root = fs::path(root_text).lexically_normal();
  if (!root.has_filename() && root.has_relative_path()) root = root.parent_path();  // "ROOT/"
  const std::string shown = "imagefolder " + root.string();
  std::error_code ec;
  if (!fs::exists(root, ec)) return NotFound(shown + ": folder not found");
  if (!IsDirectory(root)) return InvalidArgument(shown + ": not a folder");
  if (!IsDirectory(root / kTrainSplit)) {
    return NotFound(shown + ": no train/ folder (expected ROOT/train/<class>/*, " +
                    "ROOT/test/<class>/* and optionally ROOT/val/<class>/*)");
  }
  if (!IsDirectory(root / kTestSplit) && !IsDirectory(root / kValSplit)) {
    return NotFound(shown + ": neither test/ nor val/: nothing to evaluate on");
  }
  DatasetManifest manifest;
  manifest.source = "imagefolder:" + root.string();
  manifest.root = root.string();

  CT_ASSIGN_OR_RETURN(std::vector<std::string> folders, ClassFolders(root / kTrainSplit));
  if (folders.empty()) {
    return InvalidArgument((root / kTrainSplit).string() + ": no class folders");
  }
  std::map<std::string, std::string> names;
  const fs::path names_file = root / kClassNamesFile;
  if (fs::exists(names_file, ec)) {
    CT_ASSIGN_OR_RETURN(names, ReadClassNames(names_file.string()));
    manifest.annotation_files.push_back(names_file.string());
  }
  std::map<std::string, int> label_of;
  std::map<std::string, std::string> folder_of_name;
  for (const std::string& folder : folders) {
    std::string name = folder;
    if (manifest.annotation_files.empty()) {
      std::replace(name.begin(), name.end(), '_', ' ');
    } else {
      auto it = names.find(folder);
      if (it == names.end()) {
        return InvalidArgument(names_file.string() + ": no line for class folder \"" + folder +
                               "\"");
      }
      name = it->second;
    }
    auto [first, inserted] = folder_of_name.emplace(name, folder);
    if (!inserted) {
      return InvalidArgument(shown + ": class folders \"" + first->second + "\" and \"" + folder +
                             "\" have the same class name \"" + name + "\"");
    }
    label_of[folder] = static_cast<int>(manifest.classes.size());
    manifest.classes.push_back(name);
  }

  for (const char* split : {kTrainSplit, kValSplit, kTestSplit}) {
    const fs::path dir = root / split;
    if (!IsDirectory(dir)) continue;
    CT_ASSIGN_OR_RETURN(std::vector<std::string> split_folders, ClassFolders(dir));
    std::vector<ManifestItem> items;
    for (const std::string& folder : split_folders) {
      auto label = label_of.find(folder);
      if (label == label_of.end()) {
        return InvalidArgument((dir / folder).string() + ": class folder \"" + folder +
                               "\" is not in " + (root / kTrainSplit).string());
      }
      CT_ASSIGN_OR_RETURN(std::vector<std::string> files, ImageFiles(dir / folder));
      if (files.empty()) {
        return InvalidArgument((dir / folder).string() + ": empty class \"" +
                               manifest.classes[static_cast<size_t>(label->second)] +
                               "\" (no .jpg, .jpeg, .png or .bmp files)");
      }
      for (const std::string& file : files) {
        items.push_back({std::string(split) + "/" + folder + "/" + file, label->second});
      }
    }
    if (!items.empty()) manifest.splits[split] = std::move(items);
  }
  CT_RETURN_IF_ERROR(FinishManifest(shown, &manifest));
  return manifest;
}

}  // namespace chromatune::datasets
