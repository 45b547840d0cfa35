// Compositor: the deterministic pretraining corpus of captioned RGB canvases, built from the
// pretraining pool of Fashion-MNIST's TRAIN split only (fashion_pools.h: the validation and
// support pools and the test split are never shown to the backbone).
//
// An example is a canvas (default 56x56) with 1..max_items items: random pretraining-pool
// items, square sides in [min_item_size, max_item_size], placed with little overlap, each in
// a tint (70% near-white gray, 30% a pale random hue), on a dark background (gray 0..40). With
// block_probability one item is marked with a translucent colour block (its box) or, with
// mask_probability, its silhouette mask, in a BlockPalette() colour jittered +-20 per
// channel, alpha in [min_alpha, max_alpha]; the caption then names the marked item and the
// colour (captions.h lists the templates). Without a block the caption names the items
// (single-item scenes: "a photo of a {i}" style).
//
// HARD-NEGATIVE PAIRS: the first 2 * floor(hard_negative_fraction * batch_size / 2) examples
// of a batch form pairs (0,1), (2,3), ...: both members show the SAME scene (same items,
// boxes, tints, background) with the same block colour, alpha and block/mask style; only the
// marked item differs (always two items of different classes), and each caption names its own
// marked item with the same template and colour. Without them a contrastive model matches
// "the bag is in red color" to any scene with a bag and some red (DESIGN.md, "Data").
//
// SINGLE ITEMS: the last round(single_item_fraction * batch_size) examples of a batch are
// single-item scenes without a block, captioned "a photo of a {i}" style. Zero-shot
// classification prompts with exactly such captions; without a large share of them the
// model learns colours and layouts first and classes late (docs/data.md, "Recipe").
//
// Determinism: example i of batch b is a pure function of (seed, b, i, batch_size, options),
// the same on every platform; a slice [begin, end) gives exactly those examples of the full
// batch (data-parallel ranks take even-aligned slices so pairs stay whole).
// Speed: about 25 us of CPU per example (a batch of 128 in ~3 ms on this machine).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/fashion_mnist.h"
#include "datasets/image.h"
#include "datasets/scene.h"

namespace chromatune::datasets {

struct CompositorOptions {
  int canvas_size = 56;
  int min_items = 1;
  int max_items = 3;
  int min_item_size = 18;  // item square side in pixels (Fashion-MNIST is 28)
  int max_item_size = 30;
  // Probability that a (non-pair) example carries a colour block.
  float block_probability = 0.5f;
  // Probability that a block is drawn as the item's silhouette mask instead of its box.
  float mask_probability = 0.3f;
  float min_alpha = 0.35f;  // CPT uses 127/255 ~ 0.5, inside the range
  float max_alpha = 0.65f;
  // Fraction of each batch made of hard-negative pairs (rounded down to an even count).
  float hard_negative_fraction = 0.5f;
  // Probability that a block caption uses a relational query ("the bag left of the shirt")
  // when the scene allows one that is unambiguous.
  float relational_probability = 0.25f;
  // Fraction of each batch made of single-item scenes without a block (the batch's end).
  // hard_negative_fraction + single_item_fraction must not exceed 1.
  float single_item_fraction = 0.0f;
  // Fashion-MNIST directory ("" = default resolution, fashion_mnist.h).
  std::string fashion_dir;
};

// Checks ranges (sizes positive and fitting the canvas, min <= max, probabilities in [0, 1],
// 1 <= min_items <= max_items <= 6); names the offending field.
Status ValidateCompositorOptions(const CompositorOptions& options);

struct CaptionExample {
  Image image;          // canvas_size x canvas_size RGB
  std::string caption;  // captions.h
  std::vector<SceneItem> items;
  int block_item = -1;       // index into items of the marked item, -1 without a block
  std::string block_colour;  // palette name, "" without a block
  bool block_is_mask = false;
  float block_alpha = 0.0f;
  int partner = -1;  // index in the batch of the hard-negative partner, -1 if none
};

struct CaptionBatch {
  std::vector<CaptionExample> examples;
};

// The examples [begin, end) of batch `batch_index` (end = -1: batch_size), from an already
// loaded TRAIN split. Requires valid options and 0 <= begin <= end <= batch_size.
CaptionBatch ComposeCaptionBatch(const FashionMnist& train, uint64_t seed, int64_t batch_index,
                                 int batch_size, const CompositorOptions& options, int begin = 0,
                                 int end = -1);

// Same, loading (cached) the train split from options.fashion_dir; errors from the options
// or from reading Fashion-MNIST are returned.
Result<CaptionBatch> MakeCaptionBatch(uint64_t seed, int64_t batch_index, int batch_size,
                                      const CompositorOptions& options, int begin = 0,
                                      int end = -1);

}  // namespace chromatune::datasets
