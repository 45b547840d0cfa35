#include "experiments/methods/prompt_text.h"

#include <gtest/gtest.h>

namespace chromatune::methods {
namespace {

TEST(PromptTextTest, FillsClassNamesQueriesAndColours) {
  EXPECT_EQ(FillTemplate("a photo of a {}.", "sneaker"), "a photo of a sneaker.");
  EXPECT_EQ(FillTemplate("{query} is in [MASK] color.", "the bag", "red"),
            "the bag is in red color.");
  // Without a colour, [MASK] stays for a fusion model to fill.
  EXPECT_EQ(FillTemplate("{query} is in [MASK] color.", "the bag"), "the bag is in [MASK] color.");
}

TEST(PromptTextTest, DropsADuplicatedArticle) {
  EXPECT_EQ(FillTemplate("a photo of a {}.", "the bag left of the shirt"),
            "a photo of the bag left of the shirt.");
  EXPECT_EQ(FillTemplate("art of the {}.", "the coat"), "art of the coat.");
  // Only a whole article word is dropped.
  EXPECT_EQ(FillTemplate("data {}", "the coat"), "data the coat");
}

}  // namespace
}  // namespace chromatune::methods
