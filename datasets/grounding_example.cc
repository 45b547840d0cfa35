#include "datasets/grounding_example.h"

namespace chromatune::datasets {

bool IsCorrectChoice(const GroundingExample& example, int64_t chosen) {
  if (chosen < 0 || chosen >= static_cast<int64_t>(example.proposals.size())) return false;
  if (!example.ground_truth) return chosen == example.target;
  return IoU(example.proposals[static_cast<size_t>(chosen)], *example.ground_truth) >=
         kGroundingHitIoU;
}

bool HasTwinOfTarget(const GroundingExample& example) {
  int same_class = 0;
  for (int label : example.proposal_labels) same_class += label == example.target_label;
  return same_class > 1;
}

}  // namespace chromatune::datasets
