#include "experiments/sweep/did_you_mean.h"

#include <gtest/gtest.h>

namespace chromatune {
namespace {

TEST(DidYouMeanTest, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("purpel", "purple"), 1u);  // a swap of two neighbours counts once
  EXPECT_EQ(EditDistance("copo", "coop"), 1u);
  EXPECT_EQ(EditDistance("ab", "ba"), 1u);
}

TEST(DidYouMeanTest, SuggestsCloseWordsOnly) {
  const std::vector<std::string> colours = {"red", "purple", "green"};
  EXPECT_EQ(DidYouMean("purpel", colours), " (did you mean \"purple\"?)");
  EXPECT_EQ(ClosestMatch("RED", colours), "red");
  EXPECT_EQ(ClosestMatch("magenta", colours), "");
  EXPECT_EQ(ClosestMatch("copo", {"coop", "cpt"}), "coop");
  EXPECT_EQ(DidYouMean("magenta", colours), "");
}

}  // namespace
}  // namespace chromatune
