#include "datasets/image.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace chromatune::datasets {

namespace {
int RoundHalfUp(float v) { return static_cast<int>(std::floor(v + 0.5f)); }
// Round half up and clamp for values that are >= 0 up to float error (blends and
// interpolations of bytes): truncation of v + 0.5 equals floor there, without a libm call.
uint8_t ClampByte(float v) {
  const float r = v + 0.5f;
  if (r <= 0.0f) return 0;
  if (r >= 255.0f) return 255;
  return static_cast<uint8_t>(r);
}
}  // namespace

float IoU(const Box& a, const Box& b) {
  float ix = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  float iy = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (ix <= 0 || iy <= 0) return 0.0f;
  float inter = ix * iy;
  float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

PixelRect ToPixelRect(const Box& box, int height, int width) {
  PixelRect r;
  r.x0 = std::clamp(RoundHalfUp(box.x0), 0, width);
  r.x1 = std::clamp(RoundHalfUp(box.x1), 0, width);
  r.y0 = std::clamp(RoundHalfUp(box.y0), 0, height);
  r.y1 = std::clamp(RoundHalfUp(box.y1), 0, height);
  return r;
}

Image::Image(int h, int w, int c, uint8_t fill)
    : height(h), width(w), channels(c), pixels(static_cast<size_t>(h) * w * c, fill) {}

Image Image::Filled(int h, int w, Rgb colour) {
  Image image(h, w, 3);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    image.pixels[i] = colour.r;
    image.pixels[i + 1] = colour.g;
    image.pixels[i + 2] = colour.b;
  }
  return image;
}

int64_t Mask::count() const {
  return std::count_if(bits.begin(), bits.end(), [](uint8_t b) { return b != 0; });
}

Mask BoxMask(const Box& box, int height, int width) {
  Mask mask(height, width);
  const PixelRect r = ToPixelRect(box, height, width);
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) mask.set(y, x, true);
  }
  return mask;
}

namespace {
void BlendPixel(Image* image, int y, int x, Rgb colour, float alpha) {
  uint8_t* p = &image->at(y, x, 0);
  p[0] = BlendChannel(p[0], colour.r, alpha);
  p[1] = BlendChannel(p[1], colour.g, alpha);
  p[2] = BlendChannel(p[2], colour.b, alpha);
}
}  // namespace

void BlendBox(Image* image, const Box& box, Rgb colour, float alpha) {
  assert(image->channels == 3);
  PixelRect r = ToPixelRect(box, image->height, image->width);
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) BlendPixel(image, y, x, colour, alpha);
  }
}

void BlendMask(Image* image, const Mask& mask, Rgb colour, float alpha) {
  assert(image->channels == 3);
  assert(mask.height == image->height && mask.width == image->width);
  for (int y = 0; y < image->height; ++y) {
    for (int x = 0; x < image->width; ++x) {
      if (mask.get(y, x)) BlendPixel(image, y, x, colour, alpha);
    }
  }
}

void DrawEllipse(Image* image, const Box& box, Rgb colour, int thickness, float alpha) {
  assert(image->channels == 3);
  assert(thickness >= 1);
  float cx = box.center_x(), cy = box.center_y();
  float rx = 0.5f * box.width(), ry = 0.5f * box.height();
  if (rx <= 0 || ry <= 0) return;
  float half = 0.5f * static_cast<float>(thickness);
  float scale = std::min(rx, ry);
  // Only pixels within `half` of the box can be on the outline.
  int y0 = std::max(0, static_cast<int>(std::floor(box.y0 - half - 1)));
  int y1 = std::min(image->height, static_cast<int>(std::ceil(box.y1 + half + 1)));
  int x0 = std::max(0, static_cast<int>(std::floor(box.x0 - half - 1)));
  int x1 = std::min(image->width, static_cast<int>(std::ceil(box.x1 + half + 1)));
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      float dx = (static_cast<float>(x) + 0.5f - cx) / rx;
      float dy = (static_cast<float>(y) + 0.5f - cy) / ry;
      float r = std::sqrt(dx * dx + dy * dy);
      if (std::fabs(r - 1.0f) * scale <= half) BlendPixel(image, y, x, colour, alpha);
    }
  }
}

Image ResizeNearest(const Image& image, int height, int width) {
  Image out(height, width, image.channels);
  for (int y = 0; y < height; ++y) {
    int sy =
        std::min(image.height - 1,
                 static_cast<int>((static_cast<int64_t>(2 * y + 1) * image.height) / (2 * height)));
    for (int x = 0; x < width; ++x) {
      int sx =
          std::min(image.width - 1,
                   static_cast<int>((static_cast<int64_t>(2 * x + 1) * image.width) / (2 * width)));
      for (int c = 0; c < image.channels; ++c) out.at(y, x, c) = image.at(sy, sx, c);
    }
  }
  return out;
}

namespace {
// Source coordinate of output index i for half-pixel centres, split into a clamped base
// index, its neighbour and the weight of the neighbour.
struct Tap {
  int i0, i1;
  float w1;
};
Tap MakeTap(int i, int out_size, int in_size) {
  float s =
      (static_cast<float>(i) + 0.5f) * static_cast<float>(in_size) / static_cast<float>(out_size) -
      0.5f;
  if (s < 0) s = 0;
  int i0 = std::min(static_cast<int>(std::floor(s)), in_size - 1);
  int i1 = std::min(i0 + 1, in_size - 1);
  return {i0, i1, s - static_cast<float>(i0)};
}
}  // namespace

Image ResizeBilinear(const Image& image, int height, int width) {
  Image out(height, width, image.channels);
  std::vector<Tap> xs(width);
  for (int x = 0; x < width; ++x) xs[x] = MakeTap(x, width, image.width);
  for (int y = 0; y < height; ++y) {
    Tap ty = MakeTap(y, height, image.height);
    for (int x = 0; x < width; ++x) {
      const Tap& tx = xs[x];
      for (int c = 0; c < image.channels; ++c) {
        float top = (1 - tx.w1) * image.at(ty.i0, tx.i0, c) + tx.w1 * image.at(ty.i0, tx.i1, c);
        float bottom = (1 - tx.w1) * image.at(ty.i1, tx.i0, c) + tx.w1 * image.at(ty.i1, tx.i1, c);
        out.at(y, x, c) = ClampByte((1 - ty.w1) * top + ty.w1 * bottom);
      }
    }
  }
  return out;
}

std::vector<float> ToFloatCHW(const Image& image) {
  const size_t plane = static_cast<size_t>(image.height) * image.width;
  std::vector<float> out(plane * image.channels);
  for (size_t p = 0; p < plane; ++p) {
    for (int c = 0; c < image.channels; ++c) {
      out[c * plane + p] = static_cast<float>(image.pixels[p * image.channels + c]) / 255.0f;
    }
  }
  return out;
}

}  // namespace chromatune::datasets
