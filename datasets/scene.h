// Scene rendering shared by the compositor, FashionRef and the shifted sets: Fashion-MNIST
// items resized and pasted onto an RGB canvas.
//
// An item is pasted "as ink": its 28x28 grayscale g (0 = background) is bilinearly resized to
// the item box, and each covered canvas pixel becomes BlendChannel(canvas, tint, g / 255), so
// the item shows in its tint colour with its own texture, and the background shows through
// where the item is dark. The item's silhouette mask is the pixels with resized g >= 48.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/image.h"
#include "datasets/rng.h"

namespace chromatune::datasets {

struct SceneItem {
  int64_t source_index = 0;  // index into the Fashion-MNIST split it came from
  int label = 0;             // class 0..9
  Box box;                   // integer-valued square box the item was resized into
  Rgb tint;                  // the item's colour
};

// Pastes `item28` (28x28 grayscale) into image at item.box with item.tint, as above.
// `contrast` in (0, 1] scales g first (the shifted sets' low-contrast items).
void PasteItem(Image* image, const uint8_t* item28, const SceneItem& item, float contrast = 1.0f);

// The silhouette of an item pasted at `box` (same resize as PasteItem, g >= 48), as a mask of
// an image of the given size.
Mask ItemMask(const uint8_t* item28, const Box& box, int height, int width);

// The pretraining domain's look (compositor, kPlain sets): a dark background (gray 0..40,
// each channel +-5) and item tints (70% near-white gray 190..255, 30% a pale random hue with
// every channel 120..255).
Rgb PlainBackground(Rng* rng);
Rgb PlainTint(Rng* rng);

// Places `sizes.size()` square boxes of the given sides inside a canvas x canvas image, with
// pairwise IoU <= max_iou and each box fully inside; tries up to 200 random layouts and
// returns false when none fits (the caller then retries with smaller sizes).
bool PlaceBoxes(Rng* rng, int canvas, const std::vector<int>& sizes, float max_iou,
                std::vector<Box>* boxes);

}  // namespace chromatune::datasets
