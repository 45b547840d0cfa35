#include "experiments/models/image_tensor.h"

#include <cstring>

namespace chromatune::models {

torch::Tensor ImagesToTensor(const std::vector<const datasets::Image*>& images) {
  TORCH_CHECK(!images.empty(), "ImagesToTensor: no images");
  const int h = images[0]->height, w = images[0]->width;
  auto bytes = torch::empty({static_cast<int64_t>(images.size()), h, w, 3}, torch::kUInt8);
  uint8_t* dst = bytes.data_ptr<uint8_t>();
  const size_t per_image = static_cast<size_t>(h) * w * 3;
  for (size_t i = 0; i < images.size(); ++i) {
    const datasets::Image& im = *images[i];
    TORCH_CHECK(im.channels == 3 && im.height == h && im.width == w, "ImagesToTensor: image ", i,
                " is not ", h, "x", w, " RGB");
    std::memcpy(dst + i * per_image, im.pixels.data(), per_image);
  }
  return bytes.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0).contiguous();
}

torch::Tensor ImagesToTensor(const std::vector<datasets::Image>& images) {
  std::vector<const datasets::Image*> ptrs;
  ptrs.reserve(images.size());
  for (const auto& im : images) ptrs.push_back(&im);
  return ImagesToTensor(ptrs);
}

}  // namespace chromatune::models
