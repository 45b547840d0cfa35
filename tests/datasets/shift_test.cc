#include "datasets/shift.h"

#include <gtest/gtest.h>

#include <set>

namespace chromatune::datasets {
namespace {

double MeanBrightness(const Image& image) {
  double sum = 0;
  for (uint8_t v : image.pixels) sum += v;
  return sum / static_cast<double>(image.pixels.size());
}

TEST(ShiftTest, RenderingIsAPureFunctionOfDomainSplitAndIndex) {
  auto test = LoadFashionMnist(FashionSplit::kTest);
  ASSERT_TRUE(test.ok());
  const uint8_t* item = (*test)->item(3);
  for (Domain d : {Domain::kPlain, Domain::kShift}) {
    EXPECT_EQ(RenderClassificationItem(item, 56, d, FashionSplit::kTest, 3),
              RenderClassificationItem(item, 56, d, FashionSplit::kTest, 3));
    EXPECT_NE(RenderClassificationItem(item, 56, d, FashionSplit::kTest, 3),
              RenderClassificationItem(item, 56, d, FashionSplit::kTrain, 3));
  }
  EXPECT_NE(RenderClassificationItem(item, 56, Domain::kPlain, FashionSplit::kTest, 3),
            RenderClassificationItem(item, 56, Domain::kShift, FashionSplit::kTest, 3));
  EXPECT_STREQ(DomainName(Domain::kShift), "shift");
}

TEST(ShiftTest, PlainIsDarkWithABrightItemAndShiftIsLightWithADarkItem) {
  auto test = LoadFashionMnist(FashionSplit::kTest);
  ASSERT_TRUE(test.ok());
  for (int64_t i = 0; i < 50; ++i) {
    const uint8_t* item = (*test)->item(i);
    const Image plain = RenderClassificationItem(item, 56, Domain::kPlain, FashionSplit::kTest, i);
    const Image shift = RenderClassificationItem(item, 56, Domain::kShift, FashionSplit::kTest, i);
    EXPECT_EQ(plain.height, 56);
    EXPECT_EQ(shift.channels, 3);
    const Rgb corner_plain = plain.rgb(0, 0), corner_shift = shift.rgb(0, 0);
    EXPECT_LE(std::max({corner_plain.r, corner_plain.g, corner_plain.b}), 45);
    EXPECT_GE(std::min({corner_shift.r, corner_shift.g, corner_shift.b}), 150);
    // The centre region holds the item: bright on plain, darker than the corner on shift.
    EXPECT_GT(MeanBrightness(plain), 10.0);
    EXPECT_GT(MeanBrightness(shift), MeanBrightness(plain));
  }
  const Image big =
      RenderClassificationItem((*test)->item(0), 112, Domain::kShift, FashionSplit::kTest, 0);
  EXPECT_EQ(big.width, 112);
}

TEST(ShiftTest, BackgroundsUseEveryTexture) {
  int stripes_or_checks = 0, noise = 0;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    Rng rng(seed);
    Image image(24, 24, 3);
    FillShiftBackground(&image, &rng);
    std::set<uint32_t> colours;
    for (int y = 0; y < 24; ++y) {
      for (int x = 0; x < 24; ++x) {
        const Rgb c = image.rgb(y, x);
        colours.insert((uint32_t{c.r} << 16) | (uint32_t{c.g} << 8) | c.b);
        EXPECT_GE(std::min({c.r, c.g, c.b}), 150);
      }
    }
    (colours.size() <= 2 ? stripes_or_checks : noise) += 1;
  }
  EXPECT_GT(stripes_or_checks, 5);
  EXPECT_GT(noise, 3);
  Rng rng(1);
  for (int i = 0; i < 100; ++i) {
    const Rgb ink = ShiftInk(&rng);
    EXPECT_LE(std::max({ink.r, ink.g, ink.b}), 90);
    const float c = ShiftContrast(&rng);
    EXPECT_GE(c, 0.5f);
    EXPECT_LE(c, 0.8f);
  }
}

}  // namespace
}  // namespace chromatune::datasets
