// CoOp-style classification data: a split JSON plus an image folder.
//
// The JSON (CoOp's split_*.json) is {"train": [[relpath, label, classname], ...], "val": [...],
// "test": [...]}; relpath is relative to image_root (default: the JSON file's directory).
// Labels are integers 0..C-1 with one class name each; C = 1 + the largest label over all
// parts, and every label 0..C-1 must be named somewhere. "val" may be absent or empty; it is
// kept (CoOp draws min(K, 4) validation shots per class from it: sources/fewshot.h).
// Errors name the file and the field, e.g. `split.json: "train"[3][1]: label must be a
// non-negative integer`, a class named twice differently, a path listed twice (in any
// parts), an image_root that is not a folder. The JSON must be a regular file.
// No image is opened here: trials decode the images they use (image_cache.h).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/image.h"

namespace chromatune::datasets {

struct CoopEntry {
  std::string path;     // absolute or relative to the current directory: image_root/relpath
  std::string relpath;  // as the JSON writes it
  int label = 0;
};

struct CoopSplit {
  std::vector<std::string> class_names;  // index = label
  std::vector<CoopEntry> train, val, test;
};

// Reads and validates the split JSON (no image is opened).
Result<CoopSplit> ReadCoopSplit(const std::string& json_path, const std::string& image_root = "");

}  // namespace chromatune::datasets
