// The two rendering domains of the downstream sets: kPlain, close to the pretraining corpus,
// and kShift (`fashion-mnist-shift`, `fashion-ref-shift`), away from it — the analogue of
// CoOp's ImageNet -> ImageNet-Sketch/-R study, so adaptation has room to matter.
//
// Classification items are single items on a canvas x canvas RGB image (the size the model
// takes, default 56), rendered as a pure function of (domain, split, source index): the same
// item always gives the same pixels, so frozen features can be cached across trials.
//   kPlain: dark background (gray 0..40), item side 26..30 (pretraining draws 18..30),
//           near-white tint (gray 200..255), centred with +-4 px jitter.
//   kShift: LIGHT TEXTURED background (one of: diagonal stripes of period 4..8, a checkerboard
//           of cell 3..6, uniform noise; two random light colours, each channel 150..255),
//           the item as DARK ink (each channel 0..90) at contrast 0.5..0.8, and a scale
//           outside pretraining: side 38..46, centred with +-3 px jitter.
// FashionRef's shifted variant uses the same background and ink, with item sides 13..17
// (pretraining: 18..30) so that 3 items still fit.
#pragma once

#include <cstdint>
#include <string>

#include "datasets/fashion_mnist.h"
#include "datasets/image.h"
#include "datasets/rng.h"

namespace chromatune::datasets {

enum class Domain { kPlain, kShift };
const char* DomainName(Domain d);  // "plain" / "shift"

// A shifted-domain background: one of the three textures above, filling the whole image.
void FillShiftBackground(Image* image, Rng* rng);
// A shifted-domain ink colour and contrast.
Rgb ShiftInk(Rng* rng);
float ShiftContrast(Rng* rng);

// One classification item rendered in `domain` (see above) on a canvas x canvas RGB image.
Image RenderClassificationItem(const uint8_t* item28, int canvas, Domain domain, FashionSplit split,
                               int64_t source_index);

}  // namespace chromatune::datasets
