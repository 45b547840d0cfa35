#include "datasets/scene.h"

#include <gtest/gtest.h>

#include <vector>

#include "datasets/fashion_mnist.h"

namespace chromatune::datasets {
namespace {

// A 28x28 item: a bright 14x14 square (255) in the middle, 0 elsewhere.
std::vector<uint8_t> SquareItem() {
  std::vector<uint8_t> item(28 * 28, 0);
  for (int y = 7; y < 21; ++y) {
    for (int x = 7; x < 21; ++x) item[y * 28 + x] = 255;
  }
  return item;
}

TEST(SceneTest, PasteItemInksTheTintWhereTheItemIsBright) {
  const std::vector<uint8_t> item = SquareItem();
  Image image = Image::Filled(40, 40, {10, 20, 30});
  SceneItem s;
  s.box = {6, 6, 34, 34};  // 28x28: no resize
  s.tint = {200, 100, 0};
  PasteItem(&image, item.data(), s);
  EXPECT_EQ(image.rgb(20, 20), (Rgb{200, 100, 0}));  // inside the square: the tint
  EXPECT_EQ(image.rgb(7, 7), (Rgb{10, 20, 30}));     // item background: canvas shows
  EXPECT_EQ(image.rgb(0, 0), (Rgb{10, 20, 30}));     // outside the box
  Image low = Image::Filled(40, 40, {0, 0, 0});
  PasteItem(&low, item.data(), s, 0.5f);
  EXPECT_EQ(low.rgb(20, 20), (Rgb{100, 50, 0}));  // half contrast: half-way blend
}

TEST(SceneTest, ItemMaskIsTheSilhouetteAfterResize) {
  const std::vector<uint8_t> item = SquareItem();
  Mask same = ItemMask(item.data(), {0, 0, 28, 28}, 28, 28);
  EXPECT_EQ(same.count(), 14 * 14);
  EXPECT_TRUE(same.get(7, 7));
  EXPECT_FALSE(same.get(6, 6));
  Mask half = ItemMask(item.data(), {10, 10, 24, 24}, 40, 40);  // 14x14: square ~7x7
  EXPECT_NEAR(static_cast<double>(half.count()), 49.0, 16.0);
  EXPECT_TRUE(half.get(17, 17));
  EXPECT_FALSE(half.get(10, 10));
}

TEST(SceneTest, PlaceBoxesRespectsOverlapAndBounds) {
  Rng rng(3);
  std::vector<Box> boxes;
  for (int trial = 0; trial < 50; ++trial) {
    ASSERT_TRUE(PlaceBoxes(&rng, 56, {20, 24, 18}, 0.1f, &boxes));
    ASSERT_EQ(boxes.size(), 3u);
    for (size_t i = 0; i < boxes.size(); ++i) {
      EXPECT_GE(boxes[i].x0, 0);
      EXPECT_LE(boxes[i].x1, 56);
      EXPECT_GE(boxes[i].y0, 0);
      EXPECT_LE(boxes[i].y1, 56);
      for (size_t j = 0; j < i; ++j) EXPECT_LE(IoU(boxes[i], boxes[j]), 0.1f);
    }
  }
  EXPECT_FALSE(PlaceBoxes(&rng, 56, {50, 50}, 0.0f, &boxes));
  EXPECT_TRUE(boxes.empty());
  EXPECT_FALSE(PlaceBoxes(&rng, 56, {60}, 0.0f, &boxes));
}

TEST(SceneTest, PlainDomainColours) {
  Rng rng(1);
  for (int i = 0; i < 200; ++i) {
    const Rgb bg = PlainBackground(&rng);
    EXPECT_LE(std::max({bg.r, bg.g, bg.b}), 45);
    const Rgb tint = PlainTint(&rng);
    EXPECT_GE(std::min({tint.r, tint.g, tint.b}), 120);
  }
}

}  // namespace
}  // namespace chromatune::datasets
