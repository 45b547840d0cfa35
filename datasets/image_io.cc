#include "datasets/image_io.h"

#include <sys/stat.h>

// stb's implementations live in this file only (static, so they cannot clash with a libstb
// linked elsewhere); its own code is not ours to hold to -Werror.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstring>
#include <fstream>

namespace chromatune::datasets {
namespace {

Status DecodeError(const std::string& path) {
  const char* why = stbi_failure_reason();
  return Corruption(path + ": cannot decode image (" + (why ? why : "unknown format") + ")");
}

// Whether the file is a PNG of 16-bit grayscale without an alpha channel (IHDR bit depth 16,
// colour type 0), the one PNG kind where stb's 8-bit result (the high byte) differs from
// Pillow's: Pillow opens it as a 32-bit "I" image, and convert("RGB") clips to 0..255.
bool IsGray16Png(const std::string& path) {
  unsigned char head[26] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(head), sizeof head)) return false;
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return std::memcmp(head, kSignature, 8) == 0 && std::memcmp(head + 12, "IHDR", 4) == 0 &&
         head[24] == 16 && head[25] == 0;
}

Result<Image> ReadGray16Png(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  stbi_us* data = stbi_load_16(path.c_str(), &w, &h, &channels, 1);
  if (data == nullptr) return DecodeError(path);
  Image image(h, w, 3);
  for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) {
    const uint8_t v = static_cast<uint8_t>(std::min<stbi_us>(data[i], 255));
    std::fill_n(&image.pixels[i * 3], 3, v);
  }
  stbi_image_free(data);
  return image;
}

}  // namespace

Result<Image> ReadImageFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return NotFound(path + ": image file not found");
  if (IsGray16Png(path)) return ReadGray16Png(path);
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 3);
  if (data == nullptr) return DecodeError(path);
  Image image(h, w, 3);
  std::copy(data, data + static_cast<size_t>(w) * h * 3, image.pixels.begin());
  stbi_image_free(data);
  return image;
}

Status WritePng(const std::string& path, const Image& image) {
  if (image.empty() || (image.channels != 1 && image.channels != 3)) {
    return InvalidArgument(path + ": WritePng needs a non-empty 1- or 3-channel image");
  }
  if (stbi_write_png(path.c_str(), image.width, image.height, image.channels, image.pixels.data(),
                     image.width * image.channels) == 0) {
    return IoError(path + ": cannot write PNG");
  }
  return Status::Ok();
}

}  // namespace chromatune::datasets
