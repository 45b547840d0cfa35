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

namespace chromatune::datasets {

Result<Image> ReadImageFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return NotFound(path + ": image file not found");
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 3);
  if (data == nullptr) {
    const char* why = stbi_failure_reason();
    return Corruption(path + ": cannot decode image (" + (why ? why : "unknown format") + ")");
  }
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
