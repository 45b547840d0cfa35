// Proposal views: how a grounding method shows each region proposal to a dual encoder.
//
// A grounding example has P proposals; a method turns it into a few images (views) and a
// few prompts (texts), and scores proposal p by the similarity of view view_of[p] with text
// text_of[p]. The answer is the proposal with the highest score.
//   crops (zero-shot, ensemble, coop, vpt, pad-prompt, linear-probe, finetune): view p is
//     proposal p cropped and resized (bilinear) to the model's input; one text, the query.
//   CPT (colour prompts): with C colours, render r (r = 0 .. ceil(P/C) - 1) blends colour j
//     over proposal r*C + j (block: its box; mask: its silhouette) with alpha; texts are the
//     C prompts "{query} is in {colour j} color."; proposal p is view p / C, text p % C.
//     With one colour this is one rendering per proposal (CPT's released default).
//   red circle: view p is the image with an ellipse drawn around proposal p; one text.
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

// The box rounded to whole pixels (datasets::ToPixelRect), cropped, and resized to
// side x side; an empty box becomes its nearest single pixel.
datasets::Image CropResize(const datasets::Image& image, const datasets::Box& box, int side);

// `key_prefix` identifies the example (dataset, pool, id); the view spec is appended.
ProposalViews CropViews(const datasets::GroundingExample& ex, int side,
                        const std::string& key_prefix);

struct CptMarker {
  std::vector<datasets::NamedColor> colors;
  float alpha = 127.0f / 255.0f;
  bool mask = false;  // silhouette (mask) instead of box (block)
};
ProposalViews CptViews(const datasets::GroundingExample& ex, const CptMarker& marker,
                       const std::string& key_prefix);

ProposalViews RedCircleViews(const datasets::GroundingExample& ex, datasets::Rgb color,
                             int thickness, const std::string& key_prefix);

}  // namespace chromatune::methods
