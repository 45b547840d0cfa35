// Proposal views: how a grounding method shows each region proposal to a dual encoder.
//
// A grounding example has P proposals; a method turns it into a few images (views) and a
// few prompts (texts), and scores proposal p by the similarity of view view_of[p] with text
// text_of[p]. The answer is the proposal with the highest score.
//   crops (zero-shot, ensemble, coop, vpt, pad-prompt, linear-probe, finetune): view p is
//     proposal p cropped and brought to the model's input; one text, the query.
//   CPT (colour prompts): with C colours, render r (r = 0 .. ceil(P/C) - 1) blends colour j
//     over proposal r*C + j (block: its box; mask: its silhouette where the example has
//     masks, else its box, as for refexp) with alpha; texts are the
//     C prompts "{query} is in {colour j} color."; proposal p is view p / C, text p % C.
//     With one colour this is one rendering per proposal (CPT's released default).
//   red circle: view p is the image with an ellipse drawn around proposal p; one text.
// Where the pixels come from: a real image (GroundingExample::original, refexp) is cropped
// or marked at its own resolution and in its own pixel coordinates, and the result is then
// preprocessed as CLIP does (datasets/resample.h ClipPreprocess: shorter side to `side` with
// Pillow's bicubic, centre crop), so a small box keeps its detail and a marker its sharp
// edges. FashionRef canvases are drawn at the model's side: crops are resized (bilinear) to
// side x side and markers are drawn on the canvas itself. Every view is side x side x 3.
// `keys` name every view for the frozen-feature cache: the same key is the same pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/colors.h"
#include "datasets/fashion_ref.h"
#include "datasets/image.h"
#include "experiments/methods/prompt_text.h"

namespace chromatune::methods {

struct ProposalViews {
  std::vector<datasets::Image> views;
  std::vector<std::string> keys;
  std::vector<TextRequest> texts;
  std::vector<int64_t> view_of;  // per proposal
  std::vector<int64_t> text_of;  // per proposal
};

// The box rounded to whole pixels (datasets::ToPixelRect) and cropped; an empty box becomes
// its nearest single pixel.
datasets::Image CropBox(const datasets::Image& image, const datasets::Box& box);

// CropBox resized (bilinear) to side x side.
datasets::Image CropResize(const datasets::Image& image, const datasets::Box& box, int side);

// `key_prefix` identifies the example (dataset, pool, id); the view spec is appended.
ProposalViews CropViews(const datasets::GroundingExample& ex, int side,
                        const std::string& key_prefix);

struct CptMarker {
  std::vector<datasets::NamedColor> colors;
  float alpha = 127.0f / 255.0f;
  bool mask = false;  // silhouette (mask) instead of box (block)
};
ProposalViews CptViews(const datasets::GroundingExample& ex, const CptMarker& marker, int side,
                       const std::string& key_prefix);

// `thickness` is in pixels of the model's input: on an original it is scaled by the
// preprocessing's factor (shorter side / side, rounded, at least 1), so that the ring keeps
// about that width after the downsizing.
ProposalViews RedCircleViews(const datasets::GroundingExample& ex, datasets::Rgb color,
                             int thickness, int side, const std::string& key_prefix);

}  // namespace chromatune::methods
