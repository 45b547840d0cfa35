#include "datasets/sources/manifest.h"

#include "datasets/coop_split.h"
#include "datasets/json_file.h"
#include "datasets/sources/csv_manifest.h"
#include "datasets/sources/image_folder.h"

namespace chromatune::datasets {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

Result<DatasetManifest> CoopManifest(const std::string& file, const std::string& image_root) {
  CT_ASSIGN_OR_RETURN(CoopSplit split, ReadCoopSplit(file, image_root));
  DatasetManifest manifest;
  manifest.source = "coop-split:" + file;
  manifest.root = image_root.empty() ? DirName(file) : image_root;
  manifest.classes = split.class_names;
  manifest.annotation_files = {file};
  for (auto [name, entries] :
       {std::pair<const char*, const std::vector<CoopEntry>*>{kTrainSplit, &split.train},
        {kValSplit, &split.val},
        {kTestSplit, &split.test}}) {
    std::vector<ManifestItem> items;
    for (const CoopEntry& e : *entries) items.push_back({e.relpath, e.label});
    if (!items.empty()) manifest.splits[name] = std::move(items);
  }
  CT_RETURN_IF_ERROR(FinishManifest(file, &manifest));
  return manifest;
}

}  // namespace

std::string DatasetManifest::FullPath(const ManifestItem& item) const {
  return JoinPath(root, item.path);
}

const std::vector<ManifestItem>& DatasetManifest::Split(const std::string& split) const {
  static const std::vector<ManifestItem> kEmpty;
  auto it = splits.find(split);
  return it == splits.end() ? kEmpty : it->second;
}

std::vector<int> DatasetManifest::Labels(const std::string& split) const {
  std::vector<int> labels;
  for (const ManifestItem& item : Split(split)) labels.push_back(item.label);
  return labels;
}

std::vector<int64_t> DatasetManifest::ClassCounts(const std::string& split) const {
  std::vector<int64_t> counts(classes.size(), 0);
  for (const ManifestItem& item : Split(split)) ++counts[static_cast<size_t>(item.label)];
  return counts;
}

std::vector<std::string> DatasetManifest::SplitNames() const {
  std::vector<std::string> names;
  for (const char* split : {kTrainSplit, kValSplit, kTestSplit}) {
    if (splits.count(split) > 0) names.push_back(split);
  }
  return names;
}

Status FinishManifest(const std::string& file, DatasetManifest* manifest) {
  std::vector<int64_t> total(manifest->classes.size(), 0);
  for (const auto& [split, items] : manifest->splits) {
    for (const ManifestItem& item : items) ++total[static_cast<size_t>(item.label)];
  }
  for (size_t label = 0; label < total.size(); ++label) {
    if (total[label] == 0) {
      return InvalidArgument(file + ": empty class \"" + manifest->classes[label] + "\" (label " +
                             std::to_string(label) + ") has no images");
    }
  }
  manifest->default_eval_splits.clear();
  if (manifest->splits.count(kTestSplit) > 0) {
    manifest->default_eval_splits.push_back(kTestSplit);
  } else if (manifest->splits.count(kValSplit) > 0) {
    manifest->default_eval_splits.push_back(kValSplit);
  }
  return Status::Ok();
}

bool IsManifestDataset(const std::string& dataset) {
  return StartsWith(dataset, "imagefolder:") || StartsWith(dataset, "csv:") ||
         StartsWith(dataset, "coop-split:");
}

Result<DatasetManifest> ReadManifest(const std::string& dataset, const DatasetOptions& options) {
  if (!options.proposals.empty()) {
    return InvalidArgument("dataset " + dataset +
                           ": proposals are for refexp: datasets (grounding), not classification");
  }
  if (StartsWith(dataset, "imagefolder:")) {
    if (!options.image_root.empty()) {
      return InvalidArgument("dataset " + dataset +
                             ": image_root is for csv:, coop-split: and refexp:; an image "
                             "folder's images are under its ROOT");
    }
    return ReadImageFolder(dataset.substr(12));
  }
  if (StartsWith(dataset, "csv:")) return ReadCsvManifest(dataset.substr(4), options.image_root);
  if (StartsWith(dataset, "coop-split:")) {
    return CoopManifest(dataset.substr(11), options.image_root);
  }
  return InvalidArgument("dataset \"" + dataset +
                         "\" is not a manifest source (imagefolder:ROOT, csv:FILE, "
                         "coop-split:FILE)");
}

}  // namespace chromatune::datasets
