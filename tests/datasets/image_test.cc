#include "datasets/image.h"

#include <gtest/gtest.h>

namespace chromatune::datasets {
namespace {

TEST(BlendChannelTest, RoundsHalfUpAndClampsAlpha) {
  EXPECT_EQ(BlendChannel(100, 200, 0.5f), 150);
  EXPECT_EQ(BlendChannel(0, 255, 0.5f), 128);  // 127.5 rounds up
  EXPECT_EQ(BlendChannel(10, 250, 0.0f), 10);
  EXPECT_EQ(BlendChannel(10, 250, 1.0f), 250);
  EXPECT_EQ(BlendChannel(10, 250, -3.0f), 10);
  EXPECT_EQ(BlendChannel(10, 250, 7.0f), 250);
  // CPT: RGB (240, 0, 30) at alpha 127/255 over white: 255 - 127/255 * 15 = 247.53 -> 248.
  const float cpt = 127.0f / 255.0f;
  EXPECT_EQ(BlendChannel(255, 240, cpt), 248);
  EXPECT_EQ(BlendChannel(255, 0, cpt), 128);  // 128.0... -> 128
  EXPECT_EQ(BlendChannel(0, 30, cpt), 15);    // 14.94 -> 15
}

TEST(BoxTest, IoUAndPixelRect) {
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10}, {5, 0, 15, 10}), 50.0f / 150.0f);
  EXPECT_EQ(IoU({0, 0, 10, 10}, {10, 0, 20, 10}), 0.0f);
  EXPECT_EQ(IoU({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0f);
  PixelRect r = ToPixelRect({1.4f, 1.5f, 3.5f, 100}, 8, 8);
  EXPECT_EQ(r.x0, 1);
  EXPECT_EQ(r.y0, 2);
  EXPECT_EQ(r.x1, 4);
  EXPECT_EQ(r.y1, 8);
  EXPECT_TRUE(ToPixelRect({9, 9, 20, 20}, 8, 8).empty());
}

TEST(ImageTest, LayoutIsHwc) {
  Image image(2, 3, 3);
  image.at(1, 2, 0) = 7;
  EXPECT_EQ(image.pixels[(1 * 3 + 2) * 3 + 0], 7);
  Image filled = Image::Filled(2, 2, {1, 2, 3});
  EXPECT_EQ(filled.rgb(1, 1), (Rgb{1, 2, 3}));
}

TEST(BlendBoxTest, BlendsExactlyTheRoundedRect) {
  Image image = Image::Filled(6, 6, {100, 100, 100});
  BlendBox(&image, {1.0f, 2.0f, 3.0f, 5.0f}, {200, 0, 50}, 0.5f);
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 6; ++x) {
      const bool inside = x >= 1 && x < 3 && y >= 2 && y < 5;
      EXPECT_EQ(image.rgb(y, x), inside ? (Rgb{150, 50, 75}) : (Rgb{100, 100, 100}))
          << y << "," << x;
    }
  }
  Image untouched = Image::Filled(4, 4, {9, 9, 9});
  BlendBox(&untouched, {10, 10, 20, 20}, {255, 0, 0}, 1.0f);
  EXPECT_EQ(untouched, Image::Filled(4, 4, {9, 9, 9}));
}

TEST(BlendMaskTest, BlendsOnlyMaskedPixels) {
  Image image = Image::Filled(3, 3, {0, 0, 0});
  Mask mask(3, 3);
  mask.set(0, 0, true);
  mask.set(2, 1, true);
  EXPECT_EQ(mask.count(), 2);
  BlendMask(&image, mask, {255, 255, 255}, 1.0f);
  EXPECT_EQ(image.rgb(0, 0), (Rgb{255, 255, 255}));
  EXPECT_EQ(image.rgb(2, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(image.rgb(1, 1), (Rgb{0, 0, 0}));
  EXPECT_EQ(BoxMask({1, 1, 3, 2}, 3, 3).count(), 2);
}

TEST(DrawEllipseTest, DrawsASymmetricOutlineAndLeavesTheCentre) {
  Image image = Image::Filled(20, 20, {0, 0, 0});
  DrawEllipse(&image, {2, 4, 18, 16}, {255, 0, 0}, 1);
  const Rgb red{255, 0, 0};
  EXPECT_NE(image.rgb(10, 10), red);  // centre
  EXPECT_NE(image.rgb(0, 0), red);    // far outside
  // The extreme points of the ellipse: left/right at x = 2, 17; top/bottom at y = 4, 15.
  EXPECT_EQ(image.rgb(9, 2), red);
  EXPECT_EQ(image.rgb(9, 17), red);
  EXPECT_EQ(image.rgb(4, 9), red);
  EXPECT_EQ(image.rgb(15, 9), red);
  // Mirror symmetry about the box centre (10, 10).
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 20; ++x) EXPECT_EQ(image.rgb(y, x), image.rgb(y, 19 - x)) << y << "," << x;
  }
  Image thick = Image::Filled(20, 20, {0, 0, 0});
  DrawEllipse(&thick, {2, 4, 18, 16}, red, 3);
  int thin_count = 0, thick_count = 0;
  for (int y = 0; y < 20; ++y) {
    for (int x = 0; x < 20; ++x) {
      thin_count += image.rgb(y, x) == red;
      thick_count += thick.rgb(y, x) == red;
    }
  }
  EXPECT_GT(thick_count, 2 * thin_count);
}

TEST(ResizeTest, NearestPicksCentres) {
  Image src(2, 2, 1);
  src.pixels = {10, 20, 30, 40};
  Image up = ResizeNearest(src, 4, 4);
  EXPECT_EQ(up.pixels,
            (std::vector<uint8_t>{10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40}));
  Image down = ResizeNearest(up, 2, 2);
  EXPECT_EQ(down, src);
}

TEST(ResizeTest, BilinearMatchesHalfPixelCentres) {
  Image src(1, 2, 1);
  src.pixels = {0, 100};
  // align_corners=false: output x=0..3 samples source 0-0.25(clamped 0), 0.25, 0.75, 1.25(->1).
  Image up = ResizeBilinear(src, 1, 4);
  EXPECT_EQ(up.pixels, (std::vector<uint8_t>{0, 25, 75, 100}));
  Image same = ResizeBilinear(up, 1, 4);
  EXPECT_EQ(same, up);
  Image rgb = Image::Filled(5, 7, {3, 4, 5});
  EXPECT_EQ(ResizeBilinear(rgb, 11, 2), Image::Filled(11, 2, {3, 4, 5}));
}

TEST(ToFloatTest, ChannelMajorScaled) {
  Image image = Image::Filled(1, 2, {255, 0, 51});
  std::vector<float> f = ToFloatCHW(image);
  EXPECT_EQ(f, (std::vector<float>{1.0f, 1.0f, 0.0f, 0.0f, 0.2f, 0.2f}));
}

}  // namespace
}  // namespace chromatune::datasets
