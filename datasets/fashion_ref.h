// FashionRef: the grounding set, built from the Fashion-MNIST TEST split (items never seen in
// pretraining). CPT's protocol: an image with several objects, a referring expression, region
// proposals; the answer is one proposal.
//
// An example: a canvas (default 56x56, the pretraining background and tints in kPlain, the
// shift.h background and ink in kShift) with num_items items (default 3) and a referring
// expression for one of them (the target):
//   - "the {class}" when the target's class is unique in the scene (default: all items of
//     different classes);
//   - with relational_fraction, a scene where the target's class appears twice and the
//     expression "the {class} {left of|right of|above|below} the {anchor class}" holds for the
//     target and not for its twin (captions.h HoldsRelation).
// Proposals: the items' boxes plus num_distractors distractor boxes (item-sized squares with
// IoU <= 0.2 to every item box, mostly on background), in a seeded random order; `target` is
// the target's proposal index. Random choice is right 1 / (num_items + num_distractors).
// The query CPT prompts with is the expression itself: CptPrompt(query, colour) =
// "the sneaker is in red color".
//
// Pools: kSupport draws items from test indices 5000..9999 (few-shot training expressions),
// kEval from 0..4999 (evaluation), so support and evaluation never share an item.
// Example i of a pool is a pure function of (seed, pool, i, options): a set of size N is the
// first N examples of any larger set with the same seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/fashion_mnist.h"
#include "datasets/grounding_example.h"
#include "datasets/image.h"
#include "datasets/scene.h"
#include "datasets/shift.h"

namespace chromatune::datasets {

enum class FashionRefPool { kSupport, kEval };

struct FashionRefOptions {
  int canvas_size = 56;
  int num_items = 3;        // 2..5
  int num_distractors = 2;  // 0..4; 3 items + 2 distractors = CPT's 5 colours, one rendering
  int min_item_size = 18;   // kPlain sides (kShift uses 13..17, shift.h)
  int max_item_size = 26;
  float relational_fraction = 0.25f;
  Domain domain = Domain::kPlain;
  uint64_t seed = 7;  // the split seed; fixed so every trial sees the same set
  std::string fashion_dir;
};

// Checks ranges and that the items fit the canvas; names the offending field.
Status ValidateFashionRefOptions(const FashionRefOptions& options);

// Examples [0, size) of a pool, from an already loaded TEST split; requires valid options and
// every class present in the pool's half of the split (MakeFashionRef checks both).
std::vector<GroundingExample> ComposeFashionRef(const FashionMnist& test, FashionRefPool pool,
                                                int64_t size, const FashionRefOptions& options);

// Same, loading (cached) the test split; option and file errors are returned.
Result<std::vector<GroundingExample>> MakeFashionRef(FashionRefPool pool, int64_t size,
                                                     const FashionRefOptions& options);

}  // namespace chromatune::datasets
