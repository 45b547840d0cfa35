// COCO-style referring-expression data (RefCOCO layout, one JSON file) plus images.
//
// {"images": [{"id", "file_name", "width", "height"}, ...],
//  "annotations": [{"id", "image_id", "bbox": [x, y, w, h], "category_id"}, ...],
//  "categories": [{"id", "name"}, ...]                       (optional)
//  "refs": [{"ref_id"?, "image_id", "ann_id", "split"?, "sentences": [{"sent": "..."}, ...]}]}
// file_name is relative to image_root (default: the JSON file's directory). Each sentence of
// each ref is one grounding example. "split" (default "train") is kept: refs with split
// "train" are the support pool, every other split (RefCOCO: val, testA, testB; RefCOCOg:
// val, test) is evaluated and reported apart (`split_entries`). scripts/convert-refcoco
// writes this file from RefCOCO's refs(unc|umd|google).p and instances.json.
//
// Proposals: by default all annotations of the ref's image (COCO order), the target being the
// ref's ann_id. With a proposals file (JSON {"<image_id>": [[x, y, w, h], ...], ...}, e.g. a
// detector's boxes; images no ref uses may be listed or not) the proposals are that image's
// boxes, `target` is the proposal of highest IoU with the annotation and a choice counts as
// correct when its IoU with the annotation is >= 0.5 (RefexpHit; MAttNet's and CPT's rule).
// Errors name the file and field, e.g. `refs.json: "refs"[2].ann_id: annotation 17 not
// found`, `"annotations"[0].bbox: need 4 numbers with w, h > 0`, `props.json: no proposals
// for image 7 (used by "refs"[3])`. Every file must be a regular file (json_file.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/fashion_ref.h"
#include "datasets/image.h"

namespace chromatune::datasets {

struct RefexpEntry {
  std::string image_path;                        // image_root/file_name
  int image_width = 0, image_height = 0;         // as declared in "images"
  std::string query;                             // the sentence, lower-cased, whitespace collapsed
  std::string split;                             // the ref's "split"
  int64_t ref_id = 0, image_id = 0, ann_id = 0;  // ref_id: the ref's index when absent
  // Proposal boxes in pixels of the original image: the image's annotations, or the
  // proposals file's boxes.
  std::vector<Box> proposals;
  std::vector<int> proposal_categories;  // dense category per proposal; -1 for file proposals
  int target = 0;                        // index into proposals (see the header comment)
  Box target_box;                        // the referred annotation's box
  int target_category = 0;               // its dense category index
};

struct RefexpSet {
  std::vector<RefexpEntry> entries;
  std::vector<std::string> category_names;  // dense: index = position in "categories"
  std::vector<int> category_ids;            // the COCO ids, same order
  // Entry indices per split, and the split names in order of first appearance.
  std::map<std::string, std::vector<int64_t>> split_entries;
  std::vector<std::string> split_names;
  // The splits a trial evaluates when the sweep does not say: every split but "train", in
  // order of first appearance.
  std::vector<std::string> default_eval_splits;
  // "images"[].file_name as written, for images that a ref uses (the fingerprint's list).
  std::vector<std::string> image_files;
  bool annotation_proposals = true;  // false with a proposals file
};

// Reads and validates the JSON and the optional proposals file (no image is opened).
Result<RefexpSet> ReadRefexp(const std::string& json_path, const std::string& image_root = "",
                             const std::string& proposals_path = "");

// Whether choosing proposal `chosen` of `entry` is correct: the target itself with annotation
// proposals, IoU >= 0.5 with the annotation box with a proposals file.
bool RefexpHit(const RefexpEntry& entry, int chosen, bool annotation_proposals);

// The grounding examples of the entries at `indices`, at the images' own resolution: each
// image is decoded once (by `threads` threads, image_cache.h DecodeImages) and shared, as
// `original`, by every example about it; proposals and ground_truth are in its pixel
// coordinates; `image` and proposal_masks are empty (a marker is its box), so a sentence costs
// no pixels of its own. The methods make crops and markers on the original and then preprocess
// them as CLIP does (experiments/methods/proposal_views.h). proposal_labels are dense
// category indices (-1 for file proposals), target_label the target's category; with a
// proposals file, ground_truth is the annotation box, so that the trial scores a choice as
// RefexpHit does (grounding_example.h IsCorrectChoice). Memory: the decoded images of the
// indices, width x height x 3 bytes each. A decoded size differing from the declared one, and
// a missing, non-regular or undecodable image, are errors naming the file.
Result<std::vector<GroundingExample>> LoadRefexpExamples(const RefexpSet& set,
                                                         const std::vector<int64_t>& indices,
                                                         int threads = 2);

}  // namespace chromatune::datasets
