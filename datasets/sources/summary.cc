#include "datasets/sources/summary.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "common/regular_file.h"
#include "common/sha256.h"
#include "datasets/json_file.h"
#include "datasets/refexp.h"
#include "datasets/sources/image_folder.h"
#include "datasets/sources/manifest.h"

namespace chromatune::datasets {
namespace {

namespace fs = std::filesystem;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// "mtime size" of a path, or "-" when it cannot be stat'ed (a cache stamp, not an error).
std::string Stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "-";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " " +
         std::to_string(st.st_size);
}

// The part of the cache key known before reading: the dataset, its options and the stamps of
// its annotation files (see summary.h).
std::string AnnotationKey(const std::string& dataset, const DatasetOptions& options) {
  std::string key = dataset + '\0' + options.image_root + '\0' + options.proposals + '\0';
  if (StartsWith(dataset, "imagefolder:")) {
    return key + Stamp((fs::path(dataset.substr(12)) / kClassNamesFile).string());
  }
  const std::string file = dataset.substr(dataset.find(':') + 1);
  key += Stamp(file);
  if (StartsWith(dataset, "csv:")) key += " " + Stamp(JoinPath(DirName(file), kClassNamesFile));
  if (!options.proposals.empty()) key += " " + Stamp(options.proposals);
  return key;
}

// The stamps of the folders that hold the images: a file added, removed or renamed in one
// changes its mtime.
std::string FolderStamps(const std::vector<std::string>& folders) {
  std::string stamp;
  for (const std::string& folder : folders) stamp += Stamp(folder) + "\n";
  return stamp;
}

// A summary with the folders its images are in (sorted, distinct).
struct Computed {
  DatasetSummary summary;
  std::vector<std::string> folders;
};

std::vector<std::string> Distinct(std::vector<std::string> folders) {
  std::sort(folders.begin(), folders.end());
  folders.erase(std::unique(folders.begin(), folders.end()), folders.end());
  return folders;
}

Status HashFileBytes(const std::string& path, const std::string& what, Sha256* hash) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, what));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot read");
  hash->Update(what + " " + std::to_string(fs::file_size(path)) + "\n");
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    hash->Update(std::string(buffer, static_cast<size_t>(in.gcount())));
  }
  hash->Update("\n");
  return Status::Ok();
}

// Adds "relpath\tsize\n" for one image (`full` is where it is).
Status HashImageEntry(const std::string& relpath, const std::string& full, Sha256* hash) {
  struct stat st;
  if (::stat(full.c_str(), &st) != 0) return NotFound("image not found: " + full);
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument("image is not a regular file (a folder, device, FIFO or socket): " +
                           full);
  }
  hash->Update(relpath + "\t" + std::to_string(st.st_size) + "\n");
  return Status::Ok();
}

Result<Computed> ManifestSummary(const std::string& dataset, const DatasetOptions& options) {
  CT_ASSIGN_OR_RETURN(DatasetManifest manifest, ReadManifest(dataset, options));
  Computed computed;
  DatasetSummary& summary = computed.summary;
  std::vector<std::string> folders;
  if (StartsWith(dataset, "imagefolder:")) {
    // New class folders show in the split folders' mtimes, new splits in ROOT's.
    folders.push_back(manifest.root);
    for (const char* split : {kTrainSplit, kValSplit, kTestSplit}) {
      folders.push_back((fs::path(manifest.root) / split).string());
    }
  }
  for (const auto& [split, items] : manifest.splits) {
    for (const ManifestItem& item : items) {
      folders.push_back(fs::path(manifest.FullPath(item)).parent_path().string());
    }
  }
  computed.folders = Distinct(std::move(folders));
  summary.classes = manifest.classes;
  summary.splits = manifest.SplitNames();
  summary.default_eval_splits = manifest.default_eval_splits;
  for (const std::string& split : summary.splits) {
    summary.class_counts[split] = manifest.ClassCounts(split);
  }
  Sha256 hash;
  hash.Update(std::string(kDatasetFingerprintVersion) + "\n" +
              dataset.substr(0, dataset.find(':')) + "\n");
  for (const std::string& file : manifest.annotation_files) {
    CT_RETURN_IF_ERROR(HashFileBytes(file, fs::path(file).filename().string(), &hash));
  }
  if (StartsWith(dataset, "imagefolder:")) {
    // Content, not layout order: the sorted relative paths with their sizes.
    std::vector<const ManifestItem*> items;
    for (const auto& [split, list] : manifest.splits) {
      for (const ManifestItem& item : list) items.push_back(&item);
    }
    std::sort(items.begin(), items.end(),
              [](const ManifestItem* a, const ManifestItem* b) { return a->path < b->path; });
    for (const ManifestItem* item : items) {
      CT_RETURN_IF_ERROR(HashImageEntry(item->path, manifest.FullPath(*item), &hash));
    }
  } else {
    for (const std::string& split : summary.splits) {
      for (const ManifestItem& item : manifest.Split(split)) {
        CT_RETURN_IF_ERROR(HashImageEntry(item.path, manifest.FullPath(item), &hash));
      }
    }
  }
  summary.fingerprint = hash.HexDigest();
  return computed;
}

Result<Computed> RefexpSummary(const std::string& file, const DatasetOptions& options) {
  CT_ASSIGN_OR_RETURN(RefexpSet set, ReadRefexp(file, options.image_root, options.proposals));
  Computed computed;
  DatasetSummary& summary = computed.summary;
  summary.grounding = true;
  summary.classes = set.category_names;
  summary.splits = set.split_names;
  summary.default_eval_splits = set.default_eval_splits;
  for (const auto& [split, indices] : set.split_entries) {
    std::vector<int64_t>& counts = summary.class_counts[split];
    counts.assign(set.category_names.size(), 0);
    for (int64_t i : indices) {
      ++counts[static_cast<size_t>(set.entries[static_cast<size_t>(i)].target_category)];
    }
  }
  Sha256 hash;
  hash.Update(std::string(kDatasetFingerprintVersion) + "\nrefexp\n");
  CT_RETURN_IF_ERROR(HashFileBytes(file, "refexp", &hash));
  if (!options.proposals.empty()) {
    CT_RETURN_IF_ERROR(HashFileBytes(options.proposals, "proposals", &hash));
  }
  const std::string root = options.image_root.empty() ? DirName(file) : options.image_root;
  std::vector<std::string> folders;
  for (const std::string& name : set.image_files) {
    const std::string full = JoinPath(root, name);
    CT_RETURN_IF_ERROR(HashImageEntry(name, full, &hash));
    folders.push_back(fs::path(full).parent_path().string());
  }
  computed.folders = Distinct(std::move(folders));
  summary.fingerprint = hash.HexDigest();
  return computed;
}

}  // namespace

bool IsUserDataset(const std::string& dataset) {
  return IsManifestDataset(dataset) || StartsWith(dataset, "refexp:");
}

namespace {

struct CacheEntry {
  std::shared_ptr<const DatasetSummary> summary;
  std::vector<std::string> folders;
  std::string folder_stamps;
};

std::mutex& CacheMutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, CacheEntry>& Cache() {
  static auto* cache = new std::map<std::string, CacheEntry>();
  return *cache;
}

}  // namespace

void ClearDatasetSummaryCache() {
  std::lock_guard<std::mutex> lock(CacheMutex());
  Cache().clear();
}

Result<std::shared_ptr<const DatasetSummary>> SummarizeDataset(const std::string& dataset,
                                                               const DatasetOptions& options) {
  if (!IsUserDataset(dataset)) {
    return InvalidArgument("dataset \"" + dataset +
                           "\" is not a users' dataset (imagefolder:, csv:, coop-split:, refexp:)");
  }
  const std::string key = AnnotationKey(dataset, options);
  std::vector<std::string> folders;
  std::string folder_stamps;
  {
    std::lock_guard<std::mutex> lock(CacheMutex());
    auto it = Cache().find(key);
    if (it != Cache().end()) {
      folders = it->second.folders;
      folder_stamps = it->second.folder_stamps;
    }
  }
  if (!folders.empty() && FolderStamps(folders) == folder_stamps) {
    std::lock_guard<std::mutex> lock(CacheMutex());
    auto it = Cache().find(key);
    if (it != Cache().end() && it->second.folder_stamps == folder_stamps) {
      return it->second.summary;
    }
  }
  // The folders are known, and stamped, only after reading: a change made while reading is
  // seen at the folder's next change or by the next process.
  Result<Computed> computed = StartsWith(dataset, "refexp:")
                                  ? RefexpSummary(dataset.substr(7), options)
                                  : ManifestSummary(dataset, options);
  if (!computed.ok()) return computed.status();
  CacheEntry entry;
  entry.summary = std::make_shared<const DatasetSummary>(std::move(computed->summary));
  entry.folders = std::move(computed->folders);
  entry.folder_stamps = FolderStamps(entry.folders);
  std::lock_guard<std::mutex> lock(CacheMutex());
  auto shared = entry.summary;
  Cache()[key] = std::move(entry);
  return shared;
}

}  // namespace chromatune::datasets
