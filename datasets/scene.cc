#include "datasets/scene.h"

#include <algorithm>

#include "datasets/fashion_mnist.h"

namespace chromatune::datasets {

namespace {

constexpr uint8_t kMaskThreshold = 48;

Image ResizedItem(const uint8_t* item28, int height, int width) {
  Image src(kFashionSide, kFashionSide, 1);
  std::copy(item28, item28 + kFashionSide * kFashionSide, src.pixels.begin());
  return ResizeBilinear(src, height, width);
}

uint8_t ClampToByte(int64_t v) { return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255)); }

}  // namespace

Rgb PlainBackground(Rng* rng) {
  const int64_t base = rng->UniformInt(0, 40);
  return {ClampToByte(base + rng->UniformInt(-5, 5)), ClampToByte(base + rng->UniformInt(-5, 5)),
          ClampToByte(base + rng->UniformInt(-5, 5))};
}

Rgb PlainTint(Rng* rng) {
  if (rng->Bernoulli(0.7)) {
    const uint8_t v = ClampToByte(rng->UniformInt(190, 255));
    return {v, v, v};
  }
  return {ClampToByte(rng->UniformInt(120, 255)), ClampToByte(rng->UniformInt(120, 255)),
          ClampToByte(rng->UniformInt(120, 255))};
}

void PasteItem(Image* image, const uint8_t* item28, const SceneItem& item, float contrast) {
  const PixelRect r = ToPixelRect(item.box, image->height, image->width);
  const int side_x = static_cast<int>(item.box.width() + 0.5f);
  const int side_y = static_cast<int>(item.box.height() + 0.5f);
  if (side_x <= 0 || side_y <= 0) return;
  const Image g = ResizedItem(item28, side_y, side_x);
  const int ox = static_cast<int>(item.box.x0 + 0.5f), oy = static_cast<int>(item.box.y0 + 0.5f);
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) {
      const int gy = y - oy, gx = x - ox;
      if (gy < 0 || gx < 0 || gy >= side_y || gx >= side_x) continue;
      const float alpha = contrast * static_cast<float>(g.at(gy, gx, 0)) / 255.0f;
      uint8_t* p = &image->at(y, x, 0);
      p[0] = BlendChannel(p[0], item.tint.r, alpha);
      p[1] = BlendChannel(p[1], item.tint.g, alpha);
      p[2] = BlendChannel(p[2], item.tint.b, alpha);
    }
  }
}

Mask ItemMask(const uint8_t* item28, const Box& box, int height, int width) {
  Mask mask(height, width);
  const int side_x = static_cast<int>(box.width() + 0.5f);
  const int side_y = static_cast<int>(box.height() + 0.5f);
  if (side_x <= 0 || side_y <= 0) return mask;
  const Image g = ResizedItem(item28, side_y, side_x);
  const int ox = static_cast<int>(box.x0 + 0.5f), oy = static_cast<int>(box.y0 + 0.5f);
  for (int gy = 0; gy < side_y; ++gy) {
    for (int gx = 0; gx < side_x; ++gx) {
      const int y = oy + gy, x = ox + gx;
      if (y < 0 || x < 0 || y >= height || x >= width) continue;
      if (g.at(gy, gx, 0) >= kMaskThreshold) mask.set(y, x, true);
    }
  }
  return mask;
}

bool PlaceBoxes(Rng* rng, int canvas, const std::vector<int>& sizes, float max_iou,
                std::vector<Box>* boxes) {
  constexpr int kLayouts = 200;
  for (int attempt = 0; attempt < kLayouts; ++attempt) {
    boxes->clear();
    bool ok = true;
    for (int s : sizes) {
      if (s > canvas) return false;
      const float x = static_cast<float>(rng->UniformInt(0, canvas - s));
      const float y = static_cast<float>(rng->UniformInt(0, canvas - s));
      const Box b{x, y, x + static_cast<float>(s), y + static_cast<float>(s)};
      for (const Box& other : *boxes) {
        if (IoU(b, other) > max_iou) ok = false;
      }
      if (!ok) break;
      boxes->push_back(b);
    }
    if (ok) return true;
  }
  boxes->clear();
  return false;
}

}  // namespace chromatune::datasets
