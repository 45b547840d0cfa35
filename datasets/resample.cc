#include "datasets/resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace chromatune::datasets {
namespace {

// Pillow keeps 8 bits for the result and 2 for overflow (weights can sum past 1 on the way)
// in a 32-bit int: weights are fixed point with 22 fractional bits.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kBicubicSupport = 2.0;

// Keys' cubic convolution kernel with a = -0.5, written in Pillow's evaluation order so that
// the double results (and hence the quantised weights) are identical.
double Bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// The fixed-point weights of one 1-D resampling: output sample i reads the `count[i]` input
// samples from `first[i]` on, with weights weights[i * max_taps ...].
struct Taps {
  int max_taps = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;
};

Taps ComputeTaps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  // Shrinking widens the kernel by the reduction factor, so it averages (antialiases).
  const double filter_scale = std::max(scale, 1.0);
  const double support = kBicubicSupport * filter_scale;
  const double inv_filter_scale = 1.0 / filter_scale;

  Taps taps;
  taps.max_taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.max_taps, 0);
  std::vector<double> w(taps.max_taps);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(center - support + 0.5));
    const int hi = std::min(in_size, static_cast<int>(center + support + 0.5));
    const int n = hi - lo;
    double total = 0.0;
    for (int k = 0; k < n; ++k) {
      w[k] = Bicubic((k + lo - center + 0.5) * inv_filter_scale);
      total += w[k];
    }
    int32_t* out = &taps.weights[static_cast<size_t>(i) * taps.max_taps];
    for (int k = 0; k < n; ++k) {
      const double normalised = total != 0.0 ? w[k] / total : w[k];
      // Round half away from zero, as Pillow's normalize_coeffs_8bpc.
      const double fixed = normalised * (1 << kPrecisionBits);
      out[k] = static_cast<int32_t>(normalised < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    taps.first[i] = lo;
    taps.count[i] = n;
  }
  return taps;
}

// A fixed-point sum back to 8 bits: the accumulator started at half a unit, so flooring
// (arithmetic shift) rounds to nearest; then clip to 0..255.
uint8_t Clip8(int32_t acc) {
  const int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Horizontal pass over source rows [row0, row0 + rows): dst is rows x taps.first.size().
// The int32 accumulators (as Pillow's) cannot overflow: the positive weights of one output
// sum to at most 1.125 (x 2^22), and 255 * 1.125 * 2^22 < 2^31.
Image ResampleRows(const Image& src, int row0, int rows, const Taps& taps) {
  const int out_w = static_cast<int>(taps.first.size());
  const int c = src.channels;
  Image dst(rows, out_w, c);
  for (int y = 0; y < rows; ++y) {
    const uint8_t* in = &src.pixels[static_cast<size_t>(row0 + y) * src.width * c];
    uint8_t* out = &dst.pixels[static_cast<size_t>(y) * out_w * c];
    for (int x = 0; x < out_w; ++x) {
      const int32_t* w = &taps.weights[static_cast<size_t>(x) * taps.max_taps];
      const uint8_t* px = in + static_cast<size_t>(taps.first[x]) * c;
      for (int ch = 0; ch < c; ++ch) {
        int32_t acc = 1 << (kPrecisionBits - 1);
        for (int k = 0; k < taps.count[x]; ++k) acc += px[k * c + ch] * w[k];
        out[x * c + ch] = Clip8(acc);
      }
    }
  }
  return dst;
}

// Vertical pass: dst row y mixes src rows taps.first[y] - row0 ...
Image ResampleColumns(const Image& src, int row0, const Taps& taps) {
  const int out_h = static_cast<int>(taps.first.size());
  const size_t stride = static_cast<size_t>(src.width) * src.channels;
  Image dst(out_h, src.width, src.channels);
  std::vector<int32_t> acc(stride);
  for (int y = 0; y < out_h; ++y) {
    const int32_t* w = &taps.weights[static_cast<size_t>(y) * taps.max_taps];
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    for (int k = 0; k < taps.count[y]; ++k) {
      const uint8_t* in = &src.pixels[(taps.first[y] - row0 + k) * stride];
      for (size_t i = 0; i < stride; ++i) acc[i] += in[i] * w[k];
    }
    uint8_t* out = &dst.pixels[y * stride];
    for (size_t i = 0; i < stride; ++i) out[i] = Clip8(acc[i]);
  }
  return dst;
}

Status CheckImage(const Image& image, const char* what) {
  if (image.empty() || image.height <= 0 || image.width <= 0 || image.channels <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.height) * image.width * image.channels) {
    return InvalidArgument(std::string(what) + ": needs a non-empty image whose pixels match " +
                           std::to_string(image.height) + "x" + std::to_string(image.width) + "x" +
                           std::to_string(image.channels));
  }
  return Status::Ok();
}

// Python's round(n / 2) for n >= 0: halves go to the even neighbour.
int HalfRoundedToEven(int n) {
  const int q = n / 2;
  return (n % 2 == 1 && q % 2 == 1) ? q + 1 : q;
}

// CenterCrop's first source index along one side: negative when the side is padded.
int CropStart(int side, int size) {
  return size > side ? -((size - side) / 2) : HalfRoundedToEven(side - size);
}

}  // namespace

Result<Image> ResizeBicubic(const Image& src, int out_h, int out_w) {
  CT_RETURN_IF_ERROR(CheckImage(src, "ResizeBicubic"));
  if (out_h <= 0 || out_w <= 0) {
    return InvalidArgument("ResizeBicubic: output size " + std::to_string(out_h) + "x" +
                           std::to_string(out_w) + " must be positive");
  }
  if (out_w == src.width && out_h == src.height) return src;

  const bool vertical = out_h != src.height;
  Taps rows;
  int row0 = 0, row_count = src.height;
  if (vertical) {
    rows = ComputeTaps(src.height, out_h);
    // Only the source rows the vertical pass reads need a horizontal pass.
    row0 = rows.first.front();
    row_count = rows.first.back() + rows.count.back() - row0;
  }
  if (out_w == src.width) return ResampleColumns(src, 0, rows);
  Image wide = ResampleRows(src, row0, row_count, ComputeTaps(src.width, out_w));
  if (!vertical) return wide;
  return ResampleColumns(wide, row0, rows);
}

ImageSize ShorterSideSize(int height, int width, int shorter) {
  const int short_side = std::min(height, width);
  const int long_side = std::max(height, width);
  // Python's int(shorter * long / short): an exact product, one correctly rounded division,
  // truncated; the product fits a double's 53 bits for any int sides.
  const int new_long =
      static_cast<int>(static_cast<double>(static_cast<int64_t>(shorter) * long_side) / short_side);
  return width <= height ? ImageSize{new_long, shorter} : ImageSize{shorter, new_long};
}

Image CenterCrop(const Image& image, int size) {
  if (image.empty() || size <= 0) return Image();
  const int top = CropStart(image.height, size);
  const int left = CropStart(image.width, size);
  const int c = image.channels;
  Image out(size, size, c);  // zero where the crop leaves the image (torchvision's padding)
  const int x0 = std::max(0, -left), x1 = std::min(size, image.width - left);
  for (int y = 0; y < size; ++y) {
    const int sy = y + top;
    if (sy < 0 || sy >= image.height || x0 >= x1) continue;
    const uint8_t* in = &image.pixels[(static_cast<size_t>(sy) * image.width + x0 + left) * c];
    std::copy(in, in + static_cast<size_t>(x1 - x0) * c,
              &out.pixels[(static_cast<size_t>(y) * size + x0) * c]);
  }
  return out;
}

Result<Image> ClipPreprocess(const Image& decoded, int resolution) {
  CT_RETURN_IF_ERROR(CheckImage(decoded, "ClipPreprocess"));
  if (decoded.channels != 3) {
    return InvalidArgument("ClipPreprocess: needs an RGB image, got " +
                           std::to_string(decoded.channels) + " channels");
  }
  if (resolution <= 0) {
    return InvalidArgument("ClipPreprocess: resolution " + std::to_string(resolution) +
                           " must be positive");
  }
  const ImageSize size = ShorterSideSize(decoded.height, decoded.width, resolution);
  Result<Image> resized = ResizeBicubic(decoded, size.height, size.width);
  if (!resized.ok()) return resized.status();
  return CenterCrop(*resized, resolution);
}

}  // namespace chromatune::datasets
