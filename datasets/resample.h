// CLIP's image preprocessing without LibTorch or Python: Pillow's bicubic resize, and
// torchvision's Resize(int) + CenterCrop(int) around it, reproduced bit for bit.
//
// OpenAI CLIP feeds a model Compose([Resize(n, BICUBIC), CenterCrop(n), convert("RGB"),
// ToTensor(), Normalize(...)]) applied to a PIL image; torchvision resizes PIL images with
// Pillow's Image.resize. ClipPreprocess is the geometric part of that (everything before
// ToTensor); ToFloatCHW in image.h is ToTensor. Given the same decoded RGB pixels, the output
// equals Pillow 9.4 + torchvision 0.14 byte for byte (tests/datasets/resample_test.cc checks it
// against Pillow itself). Decoding is ReadImageFile's job (image_io.h): PNG decodes to
// Pillow's pixels exactly, JPEG differs slightly (stb_image vs libjpeg).
//
// This is CLIP applied to Image.open(p).convert("RGB"). For RGB and grayscale files that is
// exactly what CLIP computes; CLIP itself converts after resizing, so for RGBA/LA files (Pillow
// resizes premultiplied by alpha), palette files (Pillow resizes those nearest-neighbour) and
// 16-bit grayscale files (resized as 32-bit ints) real CLIP's pixels differ from these.
//
// Pure functions of their inputs: deterministic and thread-safe.
#pragma once

#include "common/status.h"
#include "datasets/image.h"

namespace chromatune::datasets {

// Pillow's Image.resize((out_w, out_h), Image.BICUBIC) on an 8-bit image: separable
// convolution with the bicubic kernel (a = -0.5, support 2), widened by the reduction factor
// when shrinking (antialiasing), sampled at output centres (x + 0.5) * in / out; weights
// normalised per output pixel and quantised to 22-bit fixed point; the horizontal pass runs
// first and rounds to 8 bits, then the vertical pass; a pass whose size is unchanged is
// skipped. Channels are resampled independently, which is what Pillow does for L and RGB
// (not for RGBA/LA, which Pillow premultiplies by alpha first).
// Errors (kInvalidArgument): an empty or inconsistent image, out_h or out_w <= 0.
Result<Image> ResizeBicubic(const Image& src, int out_h, int out_w);

struct ImageSize {
  int height = 0, width = 0;
  bool operator==(const ImageSize& o) const { return height == o.height && width == o.width; }
};

// torchvision's Resize(shorter) output size (functional._compute_resized_output_size, 0.14):
// the shorter side becomes `shorter` and the longer int(shorter * long / short), truncated;
// a square image becomes shorter x shorter. Requires height, width, shorter > 0.
ImageSize ShorterSideSize(int height, int width, int shorter);

// torchvision's CenterCrop(size): the size x size window whose top-left corner is
// (round((h - size) / 2), round((w - size) / 2)), Python's round (halves to even). A side
// shorter than size is first padded with zeros, (size - side) / 2 (floored) before it and the
// rest after, as torchvision does. Any channel count. An empty image or size <= 0 gives an
// empty Image.
Image CenterCrop(const Image& image, int size);

// CLIP's geometric preprocessing of a decoded RGB image: ResizeBicubic to
// ShorterSideSize(h, w, resolution), then CenterCrop(resolution). The result is
// resolution x resolution x 3.
// Errors (kInvalidArgument): an empty, inconsistent or non-RGB image; resolution <= 0.
Result<Image> ClipPreprocess(const Image& decoded, int resolution);

}  // namespace chromatune::datasets
