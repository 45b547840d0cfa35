// Image file I/O through stb_image (decode PNG, JPEG, BMP, GIF, TGA...) and stb_image_write
// (PNG). Every image is returned as 3-channel RGB (grayscale and alpha are converted; alpha
// is dropped). Errors name the file and stb's reason.
#pragma once

#include <string>

#include "common/status.h"
#include "datasets/image.h"

namespace chromatune::datasets {

// Decodes an image file to RGB. Missing file → kNotFound; undecodable → kCorruption.
Result<Image> ReadImageFile(const std::string& path);

// Writes an RGB or grayscale image as PNG (used by tests to make fixtures, and for dumps).
Status WritePng(const std::string& path, const Image& image);

}  // namespace chromatune::datasets
