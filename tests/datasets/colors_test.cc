#include "datasets/colors.h"

#include <gtest/gtest.h>

namespace chromatune::datasets {
namespace {

TEST(ColorsTest, CptColoursAreTheEarlierFiveColourSet) {
  const auto& cpt = CptColors();
  ASSERT_EQ(cpt.size(), 5u);
  EXPECT_EQ(cpt[0].name, "red");
  EXPECT_EQ(cpt[0].rgb, (Rgb{250, 0, 45}));
  EXPECT_EQ(cpt[1].rgb, (Rgb{140, 70, 165}));
  EXPECT_EQ(cpt[2].rgb, (Rgb{100, 250, 0}));
  EXPECT_EQ(cpt[3].rgb, (Rgb{250, 250, 45}));
  EXPECT_EQ(cpt[4].name, "blue");
  EXPECT_EQ(cpt[4].rgb, (Rgb{0, 40, 250}));
  EXPECT_EQ(CptRed().rgb, (Rgb{240, 0, 30}));
}

TEST(ColorsTest, PaletteContainsEveryCptNameAndLookupWorks) {
  for (const NamedColor& c : CptColors()) {
    auto found = FindColor(c.name);
    ASSERT_TRUE(found.has_value()) << c.name;
    EXPECT_EQ(found->rgb, c.rgb);
  }
  EXPECT_TRUE(FindColor(CptRed().name).has_value());
  EXPECT_EQ(BlockPalette().size(), 8u);
  EXPECT_FALSE(FindColor("mauve").has_value());
}

}  // namespace
}  // namespace chromatune::datasets
