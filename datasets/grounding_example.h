// GroundingExample: one grounding item as every grounding method sees it (CPT's protocol: an
// image with several objects, a referring expression, region proposals; the answer is one
// proposal), whatever made it: FashionRef canvases (fashion_ref.h) or users' referring
// expressions (refexp.h). LibTorch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datasets/image.h"

namespace chromatune::datasets {

struct GroundingExample {
  int64_t id = 0;                    // index within its pool / file
  Image image;                       // RGB at the model's side; empty when `original` is set
  std::string query;                 // the referring expression, e.g. "the bag left of the shirt"
  std::vector<Box> proposals;        // candidate regions
  std::vector<Mask> proposal_masks;  // per proposal: item silhouette, or the box for others
  std::vector<int> proposal_labels;  // class of the item in the proposal, -1 for distractors
  int target = 0;                    // index into proposals
  int target_label = 0;              // class of the target (per_class few-shot sampling)
  // Real images (refexp.h): the decoded picture at its own resolution, shared by every
  // example about it. Proposals and ground_truth are then in its pixel coordinates, and a
  // method makes its views (crops, colour blocks, circles) on it before preprocessing them as
  // CLIP does, so that no detail is lost to an early downsizing. Null for FashionRef, whose
  // canvases are drawn at the model's side (`image`).
  std::shared_ptr<const Image> original;
  // When set, a choice is scored by overlap instead of by index: proposal p is correct when
  // IoU(proposals[p], *ground_truth) >= 0.5 (refexp with a detector's proposals file: several
  // proposals may cover the referred object, and `target`, the best-overlapping one, is only
  // the training label; MAttNet's and CPT's rule). Unset: only `target` is correct.
  std::optional<Box> ground_truth;
};

// The IoU a proposal needs with `ground_truth` to count as correct.
inline constexpr float kGroundingHitIoU = 0.5f;

// Whether choosing proposal `chosen` answers `example` correctly (see ground_truth); an index
// outside the proposals is never correct. The one scoring rule of every grounding runner.
bool IsCorrectChoice(const GroundingExample& example, int64_t chosen);

// True when another proposal holds an item of the target's class (a relational example: the
// query must name a relation to single the target out).
bool HasTwinOfTarget(const GroundingExample& example);

}  // namespace chromatune::datasets
