// A users' dataset as the planner sees it before any trial runs: its content fingerprint and
// the per-class counts that `sweep validate` checks, without decoding an image.
//
// Fingerprints (SHA-256 hex; ../shared/INTERFACES.md, "Identity": content, never paths):
//   imagefolder:ROOT   the sorted list of (path relative to ROOT, size) of every image, plus
//                      ROOT/classnames.txt's bytes when present
//   csv:FILE           the CSV's bytes (and classnames.txt's when labels are integers), then
//                      each listed image's path as written and its size
//   coop-split:FILE    the JSON's bytes, then each listed image's path as written and its size
//   refexp:FILE        the JSON's bytes, the proposals file's bytes when given, then the path
//                      as written and size of every image a ref uses
// Sizes come from stat(); a listed image that is missing or not a regular file is an error
// naming it. Moving the data (or pointing image_root elsewhere) keeps the fingerprint; adding,
// removing, renaming or resizing an image, or editing an annotation file, changes it.
//
// Summaries are cached in the process by (dataset, image_root, proposals, the mtimes and sizes
// of the annotation files) and checked on every call against the mtimes of the folders that
// hold the images (for an image folder also ROOT and its split folders): a few thousand stats
// for ImageNet instead of 1.3M. Adding, removing or renaming an image is seen at once (its
// folder's mtime changes); an image rewritten in place under its name only by the next
// process or after ClearDatasetSummaryCache. Thread-safe; two threads may compute the same
// summary at once (both get equal results).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/sources/dataset_options.h"

namespace chromatune::datasets {

// Bump when the fingerprint's recipe above changes.
inline constexpr const char* kDatasetFingerprintVersion = "dataset-fingerprint-1";

struct DatasetSummary {
  std::string fingerprint;
  bool grounding = false;            // refexp:
  std::vector<std::string> classes;  // class names, or category names for refexp:
  // Per split: items per class (refexp: expressions per target category).
  std::map<std::string, std::vector<int64_t>> class_counts;
  std::vector<std::string> splits;               // the split names present
  std::vector<std::string> default_eval_splits;  // manifest.h, refexp.h
};

// Whether `dataset` is a users' source: imagefolder:, csv:, coop-split:, refexp:.
bool IsUserDataset(const std::string& dataset);

// Reads (or finds in the cache) the summary of a users' dataset. Errors are the readers'
// (manifest.h, refexp.h) and missing images, naming the file.
Result<std::shared_ptr<const DatasetSummary>> SummarizeDataset(const std::string& dataset,
                                                               const DatasetOptions& options);

// Forgets every cached summary, so that the next call reads and stats everything again (an
// image rewritten in place under its name is then seen). For tests, and for a long-lived
// process that must not trust mtimes of folders.
void ClearDatasetSummaryCache();

}  // namespace chromatune::datasets
