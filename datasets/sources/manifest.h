// Users' classification datasets as one manifest: which image files, of which class, in which
// split. Three readers fill it (docs/data.md, "Your own data"):
//
//   imagefolder:ROOT   ROOT/train/<class>/*, ROOT/test/<class>/*, optional ROOT/val/<class>/*
//                      (image_folder.h)
//   csv:FILE           a header with path,label[,split][,classname] (csv_manifest.h)
//   coop-split:FILE    CoOp's split_zhou_*.json with an image root (coop_split.h)
//
// No image is opened: a manifest is cheap to read (an ImageNet folder is 1.3M directory
// entries), and workers decode the images they use. Every reader refuses to open anything
// but a regular file (a FIFO or device named as a dataset would block the reader), and every
// error names the file and, where one is at fault, the class: a missing root, an empty class,
// a label out of range, a label without a class name, a path listed twice, an unknown split.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/sources/dataset_options.h"

namespace chromatune::datasets {

// The split names a classification manifest may hold.
inline constexpr const char* kTrainSplit = "train";
inline constexpr const char* kValSplit = "val";
inline constexpr const char* kTestSplit = "test";

struct ManifestItem {
  std::string path;  // as the manifest names it: relative to DatasetManifest::root, or absolute
  int label = 0;     // index into DatasetManifest::classes
};

struct DatasetManifest {
  std::string source;                // the dataset string, e.g. "csv:/data/pets.csv"
  std::string root;                  // the directory relative item paths resolve against
  std::vector<std::string> classes;  // class names (prompt words), index = label
  // "train", "val", "test": a split is present only when it has items. Items are in a
  // deterministic order (imagefolder: by class folder, then file name; csv and coop-split:
  // file order).
  std::map<std::string, std::vector<ManifestItem>> splits;
  // What a trial evaluates on when the sweep does not say: {"test"}, or {"val"} when there
  // is no test split (ImageNet's layout: train/ and val/, as CoOp evaluates ImageNet).
  std::vector<std::string> default_eval_splits;
  // The files whose bytes define the manifest (the CSV, classnames.txt, the split JSON), for
  // the fingerprint; an image folder has none but its optional classnames.txt.
  std::vector<std::string> annotation_files;

  // root/path, or path when it is absolute.
  std::string FullPath(const ManifestItem& item) const;
  // The items of `split`; empty when the manifest has no such split.
  const std::vector<ManifestItem>& Split(const std::string& split) const;
  // Labels of `split`'s items, in item order.
  std::vector<int> Labels(const std::string& split) const;
  // Items per class in `split` (size = classes.size()).
  std::vector<int64_t> ClassCounts(const std::string& split) const;
  // The split names present, in the order train, val, test.
  std::vector<std::string> SplitNames() const;
};

// Reads the manifest of a classification source string ("imagefolder:ROOT", "csv:FILE",
// "coop-split:FILE") with the sweep's options (image_root; proposals is refused: it is for
// refexp:). Other names are kInvalidArgument.
Result<DatasetManifest> ReadManifest(const std::string& dataset, const DatasetOptions& options);

// Whether `dataset` names a users' classification source (one ReadManifest reads).
bool IsManifestDataset(const std::string& dataset);

// Checks that every class has at least one item in some split (else `FILE: empty class
// "dog" (label 3) has no images`) and fills default_eval_splits. The readers call it.
Status FinishManifest(const std::string& file, DatasetManifest* manifest);

}  // namespace chromatune::datasets
