#include "experiments/models/image_tensor.h"

#include <gtest/gtest.h>

namespace chromatune::models {
namespace {

TEST(ImageTensorTest, HwcBytesBecomeChwFloats) {
  datasets::Image a(2, 3, 3, 0);
  a.set_rgb(1, 2, {255, 51, 0});
  datasets::Image b = datasets::Image::Filled(2, 3, {0, 0, 255});
  auto t = ImagesToTensor(std::vector<datasets::Image>{a, b});
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 2, 3}));
  EXPECT_FLOAT_EQ(t[0][0][1][2].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(t[0][1][1][2].item<float>(), 0.2f);
  EXPECT_FLOAT_EQ(t[0][0][0][0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(t[1][2][0][1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(t[1][0][0][1].item<float>(), 0.0f);
}

TEST(ImageTensorTest, MixedSizesAreRejected) {
  std::vector<datasets::Image> images{datasets::Image(2, 2, 3), datasets::Image(3, 3, 3)};
  EXPECT_THROW(ImagesToTensor(images), c10::Error);
}

}  // namespace
}  // namespace chromatune::models
