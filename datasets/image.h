// Image and Box: the LibTorch-free image type of ct_datasets, and the exact drawing helpers
// that the methods use for their visual markers (CPT colour blocks and masks, red circles).
//
// An Image is 8-bit, row-major HWC (pixels[(y * width + x) * channels + c]); every image the
// datasets produce is RGB (channels == 3). A Box is in pixel coordinates with exclusive
// right/bottom edges: a box covering columns 10..19 is {x0 = 10, x1 = 20}. Boxes may hold
// fractional values (user annotations); the helpers round them as documented below.
//
// Rounding contract (all helpers): a real value v becomes the integer floor(v + 0.5)
// ("round half up"), and results are clamped to 0..255. Pure functions of their inputs:
// deterministic and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chromatune::datasets {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // pixels; x1, y1 exclusive
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.0f; }
  float center_x() const { return 0.5f * (x0 + x1); }
  float center_y() const { return 0.5f * (y0 + y1); }
};

// Intersection over union of two boxes (0 when either is empty).
float IoU(const Box& a, const Box& b);

// Integer pixel span covered by a box, after rounding each edge with floor(v + 0.5) and
// clipping to the image: columns [x0, x1) and rows [y0, y1); empty when x0 >= x1 or y0 >= y1.
struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x0 >= x1 || y0 >= y1; }
};
PixelRect ToPixelRect(const Box& box, int height, int width);

struct Image {
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels bytes, HWC

  Image() = default;
  // A height x width x channels image filled with `fill` in every channel.
  Image(int h, int w, int c, uint8_t fill = 0);
  // An RGB image filled with one colour.
  static Image Filled(int h, int w, Rgb colour);

  bool empty() const { return pixels.empty(); }
  uint8_t& at(int y, int x, int c) {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
  uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
  Rgb rgb(int y, int x) const { return {at(y, x, 0), at(y, x, 1), at(y, x, 2)}; }
  void set_rgb(int y, int x, Rgb v) {
    at(y, x, 0) = v.r;
    at(y, x, 1) = v.g;
    at(y, x, 2) = v.b;
  }
  bool operator==(const Image& o) const {
    return height == o.height && width == o.width && channels == o.channels && pixels == o.pixels;
  }
  bool operator!=(const Image& o) const { return !(*this == o); }
};

// A single-channel 0/1 mask of the same height and width as the image it applies to
// (mask[y * width + x] != 0 marks a pixel).
struct Mask {
  int height = 0, width = 0;
  std::vector<uint8_t> bits;
  Mask() = default;
  Mask(int h, int w) : height(h), width(w), bits(static_cast<size_t>(h) * w, 0) {}
  bool get(int y, int x) const { return bits[static_cast<size_t>(y) * width + x] != 0; }
  void set(int y, int x, bool v) { bits[static_cast<size_t>(y) * width + x] = v ? 1 : 0; }
  int64_t count() const;
};

// The mask of the pixels of ToPixelRect(box, height, width).
Mask BoxMask(const Box& box, int height, int width);

// Alpha blend of one pixel channel: floor((1 - alpha) * v + alpha * c + 0.5), clamped.
// alpha is clamped to [0, 1]. CPT's alpha 127/255 is alpha = 127.0f / 255.0f.
// (Inline: it is the inner loop of every paste and marker.)
inline uint8_t BlendChannel(uint8_t v, uint8_t c, float alpha) {
  if (!(alpha > 0.0f)) alpha = 0.0f;  // also maps NaN to 0
  if (alpha > 1.0f) alpha = 1.0f;
  // Both terms are >= 0, so truncating r equals floor(r) for the rounding contract.
  const float r = (1.0f - alpha) * static_cast<float>(v) + alpha * static_cast<float>(c) + 0.5f;
  return r >= 255.0f ? uint8_t{255} : static_cast<uint8_t>(r);
}

// Blends `colour` with `alpha` into every pixel of ToPixelRect(box) (CPT "block" marker).
// Requires an RGB image (channels == 3); a box outside the image changes nothing.
void BlendBox(Image* image, const Box& box, Rgb colour, float alpha);

// Blends `colour` with `alpha` into every pixel where mask is set (CPT "mask" marker).
// Requires mask.height == image->height and mask.width == image->width (asserted).
void BlendMask(Image* image, const Mask& mask, Rgb colour, float alpha);

// Draws the outline of the ellipse inscribed in `box` (red-circle marker), `thickness`
// pixels wide (>= 1), opaque when alpha == 1, otherwise blended like BlendChannel.
// A pixel (x, y) is on the outline when its centre (x + 0.5, y + 0.5) satisfies
// |r(p) - 1| * min(rx, ry) <= thickness / 2, r(p) = sqrt(((px-cx)/rx)^2 + ((py-cy)/ry)^2),
// with (cx, cy) the box centre and rx, ry half its width and height (unrounded).
void DrawEllipse(Image* image, const Box& box, Rgb colour, int thickness, float alpha = 1.0f);

// Nearest-neighbour resize: output pixel (y, x) copies source pixel
// (floor((y + 0.5) * H / h), floor((x + 0.5) * W / w)). Any channel count.
Image ResizeNearest(const Image& image, int height, int width);

// Bilinear resize with half-pixel centres (align_corners = false, as PyTorch and OpenCV),
// edge pixels clamped, result rounded half up. Any channel count.
Image ResizeBilinear(const Image& image, int height, int width);

// The image as floats in [0, 1] (value / 255), channel-major CHW: the layout a model's
// [3, H, W] tensor takes (copy with torch::from_blob(...).clone()).
std::vector<float> ToFloatCHW(const Image& image);

}  // namespace chromatune::datasets
