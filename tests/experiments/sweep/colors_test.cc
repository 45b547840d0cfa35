#include "experiments/sweep/colors.h"

#include <gtest/gtest.h>

namespace chromatune {
namespace {

TEST(ColorsTest, CptFiveColourSetAndReleasedRed) {
  auto palette = FindSweepPalette("cpt-5");
  ASSERT_TRUE(palette.has_value());
  EXPECT_EQ(palette->colors,
            (std::vector<std::string>{"red", "purple", "green", "yellow", "blue"}));
  EXPECT_EQ(FindSweepColor("red")->rgb, (std::array<int, 3>{250, 0, 45}));
  EXPECT_EQ(FindSweepColor("purple")->rgb, (std::array<int, 3>{140, 70, 165}));
  EXPECT_EQ(FindSweepColor("green")->rgb, (std::array<int, 3>{100, 250, 0}));
  EXPECT_EQ(FindSweepColor("yellow")->rgb, (std::array<int, 3>{250, 250, 45}));
  EXPECT_EQ(FindSweepColor("blue")->rgb, (std::array<int, 3>{0, 40, 250}));
  auto cpt_red = FindSweepColor("cpt-red");
  ASSERT_TRUE(cpt_red.has_value());
  EXPECT_EQ(cpt_red->rgb, (std::array<int, 3>{240, 0, 30}));
  EXPECT_EQ(cpt_red->word, "red");
  EXPECT_FALSE(FindSweepColor("purpel").has_value());
  EXPECT_FALSE(FindSweepPalette("cpt-6").has_value());
}

TEST(ColorsTest, EveryPaletteColourIsNamed) {
  for (const auto& p : SweepPalettes()) {
    for (const auto& c : p.colors) EXPECT_TRUE(FindSweepColor(c).has_value()) << p.key << c;
  }
}

TEST(ColorsTest, NearestWordAndJson) {
  EXPECT_EQ(NearestColorWord({240, 0, 30}), "red");
  EXPECT_EQ(NearestColorWord({10, 30, 240}), "blue");
  EXPECT_EQ(NearestColorWord({0, 230, 220}), "cyan");
  EXPECT_EQ(ColorJson("red", {1, 2, 3}).dump(), R"({"name":"red","rgb":[1,2,3]})");
}

}  // namespace
}  // namespace chromatune
