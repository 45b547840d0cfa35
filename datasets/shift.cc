#include "datasets/shift.h"

#include <algorithm>
#include <cmath>

#include "datasets/scene.h"

namespace chromatune::datasets {

namespace {

// Seeds the per-item rendering so an item's pixels depend on (domain, split, index) only.
constexpr uint64_t kRenderSeed = 0x5ca1ab1e;

uint8_t RandomByte(Rng* rng, int lo, int hi) {
  return static_cast<uint8_t>(rng->UniformInt(lo, hi));
}

Rgb LightColour(Rng* rng) {
  return {RandomByte(rng, 150, 255), RandomByte(rng, 150, 255), RandomByte(rng, 150, 255)};
}

// Sizes are specified for a 56-pixel canvas and scaled to others.
int Scaled(int64_t side56, int canvas) {
  return std::max<int>(1,
                       static_cast<int>(std::lround(static_cast<double>(side56) * canvas / 56.0)));
}

}  // namespace

const char* DomainName(Domain d) { return d == Domain::kPlain ? "plain" : "shift"; }

void FillShiftBackground(Image* image, Rng* rng) {
  const Rgb a = LightColour(rng), b = LightColour(rng);
  const int64_t kind = rng->UniformInt(0, 2);
  if (kind == 0) {  // diagonal stripes
    const int period = static_cast<int>(rng->UniformInt(4, 8));
    for (int y = 0; y < image->height; ++y) {
      for (int x = 0; x < image->width; ++x)
        image->set_rgb(y, x, (x + y) % period < period / 2 ? a : b);
    }
  } else if (kind == 1) {  // checkerboard
    const int cell = static_cast<int>(rng->UniformInt(3, 6));
    for (int y = 0; y < image->height; ++y) {
      for (int x = 0; x < image->width; ++x)
        image->set_rgb(y, x, (x / cell + y / cell) % 2 ? a : b);
    }
  } else {  // uniform noise between the two colours
    for (int y = 0; y < image->height; ++y) {
      for (int x = 0; x < image->width; ++x) {
        const float t = static_cast<float>(rng->Uniform());
        image->set_rgb(
            y, x,
            {BlendChannel(a.r, b.r, t), BlendChannel(a.g, b.g, t), BlendChannel(a.b, b.b, t)});
      }
    }
  }
}

Rgb ShiftInk(Rng* rng) {
  return {RandomByte(rng, 0, 90), RandomByte(rng, 0, 90), RandomByte(rng, 0, 90)};
}

float ShiftContrast(Rng* rng) { return rng->UniformFloat(0.5f, 0.8f); }

Image RenderClassificationItem(const uint8_t* item28, int canvas, Domain domain, FashionSplit split,
                               int64_t source_index) {
  Rng rng(MixSeed(kRenderSeed, MixSeed(static_cast<uint64_t>(domain), static_cast<uint64_t>(split)),
                  static_cast<uint64_t>(source_index)));
  Image image;
  SceneItem item;
  float contrast = 1.0f;
  int side, jitter;
  if (domain == Domain::kPlain) {
    image = Image::Filled(canvas, canvas, PlainBackground(&rng));
    const uint8_t v = RandomByte(&rng, 200, 255);
    item.tint = {v, v, v};
    side = Scaled(rng.UniformInt(26, 30), canvas);
    jitter = Scaled(4, canvas);
  } else {
    image = Image(canvas, canvas, 3);
    FillShiftBackground(&image, &rng);
    item.tint = ShiftInk(&rng);
    contrast = ShiftContrast(&rng);
    side = std::min(canvas, Scaled(rng.UniformInt(38, 46), canvas));
    jitter = Scaled(3, canvas);
  }
  const int centre = (canvas - side) / 2;
  const int x =
      std::clamp<int>(centre + static_cast<int>(rng.UniformInt(-jitter, jitter)), 0, canvas - side);
  const int y =
      std::clamp<int>(centre + static_cast<int>(rng.UniformInt(-jitter, jitter)), 0, canvas - side);
  item.box = {static_cast<float>(x), static_cast<float>(y), static_cast<float>(x + side),
              static_cast<float>(y + side)};
  item.source_index = source_index;
  PasteItem(&image, item28, item, contrast);
  return image;
}

}  // namespace chromatune::datasets
