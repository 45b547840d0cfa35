// COCO-style referring-expression data (RefCOCO layout, one JSON file) plus images.
//
// {"images": [{"id", "file_name", "width", "height"}, ...],
//  "annotations": [{"id", "image_id", "bbox": [x, y, w, h], "category_id"}, ...],
//  "categories": [{"id", "name"}, ...]                       (optional)
//  "refs": [{"ref_id"?, "image_id", "ann_id", "split"?, "sentences": [{"sent": "..."}, ...]}]}
// file_name is relative to image_root (default: the JSON file's directory). Each sentence of
// each ref is one grounding example: the proposals are all annotations of the ref's image
// (COCO order), the target is the ref's ann_id. "split" (default "train") is kept so callers
// can take support examples from "train" and evaluation from the others.
// Errors name the file and field, e.g. `refs.json: "refs"[2].ann_id: annotation 17 not
// found`, `"annotations"[0].bbox: need 4 numbers with w, h > 0`.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/fashion_ref.h"
#include "datasets/image.h"

namespace chromatune::datasets {

struct RefexpEntry {
  std::string image_path;                 // image_root/file_name
  int image_width = 0, image_height = 0;  // as declared in "images"
  std::string query;                      // the sentence, lower-cased, whitespace collapsed
  std::string split;                      // the ref's "split"
  std::vector<Box> proposals;  // annotation boxes of the image, pixels of the original image
  std::vector<int> proposal_categories;  // category_id per proposal
  int target = 0;                        // index into proposals
};

struct RefexpSet {
  std::vector<RefexpEntry> entries;
  std::vector<std::string> category_names;  // dense: index = position in "categories"
  std::vector<int> category_ids;            // the COCO ids, same order
};

// Reads and validates the JSON (no image is opened).
Result<RefexpSet> ReadRefexp(const std::string& json_path, const std::string& image_root = "");

// Decodes the images of `entries` at `indices` into grounding examples resized (bilinear) to
// size x size, with proposals scaled alike; proposal_labels are dense category indices,
// proposal_masks the scaled boxes. A decoded size differing from the declared one is an error.
Result<std::vector<GroundingExample>> LoadRefexpExamples(const RefexpSet& set,
                                                         const std::vector<int64_t>& indices,
                                                         int size);

}  // namespace chromatune::datasets
