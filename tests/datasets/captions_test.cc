#include "datasets/captions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "datasets/colors.h"

namespace chromatune::datasets {
namespace {

TEST(CaptionsTest, CptPromptIsCptsTemplate) {
  EXPECT_EQ(CptPrompt("the sneaker", "red"), "the sneaker is in red color");
  EXPECT_EQ(CptPrompt("the bag left of the shirt", "[MASK]"),
            "the bag left of the shirt is in [MASK] color");
}

TEST(CaptionsTest, RelationsUseCentresWithAMargin) {
  const Box left{0, 0, 10, 10}, right{20, 0, 30, 10}, near{2, 0, 12, 10};
  EXPECT_TRUE(HoldsRelation(Relation::kLeftOf, left, right));
  EXPECT_FALSE(HoldsRelation(Relation::kLeftOf, right, left));
  EXPECT_TRUE(HoldsRelation(Relation::kRightOf, right, left));
  EXPECT_FALSE(HoldsRelation(Relation::kLeftOf, left, near));  // 2 px < margin 2.5
  const Box top{0, 0, 10, 10}, bottom{0, 20, 10, 30};
  EXPECT_TRUE(HoldsRelation(Relation::kAbove, top, bottom));
  EXPECT_TRUE(HoldsRelation(Relation::kBelow, bottom, top));
  EXPECT_FALSE(HoldsRelation(Relation::kAbove, bottom, top));
}

TEST(CaptionsTest, ReferringExpressions) {
  EXPECT_EQ(ReferringExpression(7), "the sneaker");
  EXPECT_EQ(ReferringExpression(8, Relation::kLeftOf, 6), "the bag left of the shirt");
}

TEST(CaptionsTest, UniqueQueryDisambiguatesTwins) {
  // Two bags (8) and a shirt (6) in the middle: "the bag left of the shirt" picks item 0.
  const std::vector<int> labels = {8, 8, 6};
  const std::vector<Box> boxes = {{0, 20, 10, 30}, {40, 20, 50, 30}, {20, 20, 30, 30}};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::string q0 = UniqueQuery(labels, boxes, 0, false, seed);
    const std::string q1 = UniqueQuery(labels, boxes, 1, false, seed);
    EXPECT_EQ(q0, "the bag left of the shirt");
    EXPECT_EQ(q1, "the bag right of the shirt");
  }
  // Unique class: the plain expression, or a relation when asked for one.
  EXPECT_EQ(UniqueQuery(labels, boxes, 2, false, 1), "the shirt");
  const std::string rel = UniqueQuery(labels, boxes, 2, true, 1);
  EXPECT_TRUE(rel == "the shirt right of the bag" || rel == "the shirt left of the bag") << rel;
  // Twins almost on top of each other: every relation to the shirt holds for both.
  const std::vector<Box> level = {{0, 40, 10, 50}, {1, 40, 11, 50}, {20, 0, 30, 10}};
  EXPECT_EQ(UniqueQuery(labels, level, 0, false, 3), "");
}

TEST(CaptionsTest, BlockCaptionsNameTheMarkedItemAndColour) {
  const std::vector<int> labels = {7, 8};
  const std::vector<Box> boxes = {{0, 0, 10, 10}, {30, 30, 40, 40}};
  Rng rng(5);
  std::set<std::string> seen;
  for (int i = 0; i < 400; ++i) {
    const CaptionChoice choice = CaptionChoice::Draw(&rng);
    const std::string caption = BlockCaption(labels, boxes, 0, "purple", 0.0f, choice);
    EXPECT_NE(caption.find("purple"), std::string::npos) << caption;
    EXPECT_TRUE(caption.find("sneaker") != std::string::npos ||
                caption.find("trainer") != std::string::npos)
        << caption;
    EXPECT_EQ(caption.find("bag"), std::string::npos) << caption;
    seen.insert(caption);
    EXPECT_EQ(caption.find("sneaker is in purple color") != std::string::npos,
              caption == "the sneaker is in purple color");
    // Without a query only the indefinite templates remain.
    const std::string indefinite =
        BlockCaption(labels, boxes, 0, "purple", 0.0f, choice, /*allow_query=*/false);
    EXPECT_EQ(indefinite.rfind("the ", 0), std::string::npos) << indefinite;
  }
  EXPECT_TRUE(seen.count("the sneaker is in purple color"));
  EXPECT_TRUE(seen.count("a purple block over a sneaker"));
  EXPECT_TRUE(seen.count("a sneaker under a purple block"));
  EXPECT_TRUE(seen.count("a trainer marked in purple"));
  EXPECT_TRUE(seen.count("the sneaker is purple"));
  EXPECT_EQ(BlockCaption(labels, boxes, 1, "orange", 0.0f, CaptionChoice{0.9, 0.9, 0, 0, 0}),
            "a bag marked in orange");
  EXPECT_EQ(BlockCaption(labels, boxes, 1, "orange", 0.0f, CaptionChoice{0.55, 0.9, 0, 0, 0}),
            "an orange block over a bag");
}

TEST(CaptionsTest, SceneCaptionsForOneAndSeveralItems) {
  Rng rng(11);
  std::set<std::string> single;
  for (int i = 0; i < 300; ++i) single.insert(SceneCaption(&rng, {9}, {{0, 0, 10, 10}}));
  EXPECT_TRUE(single.count("a photo of a boot"));
  EXPECT_TRUE(single.count("a boot"));
  EXPECT_TRUE(single.count("a photo of the boot"));
  EXPECT_EQ(single.size(), 5u);  // boot has no synonym: exactly the five templates
  std::set<std::string> pair;
  for (int i = 0; i < 300; ++i) {
    pair.insert(SceneCaption(&rng, {3, 5}, {{0, 0, 10, 10}, {30, 0, 40, 10}}));
  }
  EXPECT_TRUE(pair.count("a dress to the left of a sandal"));
  EXPECT_TRUE(pair.count("a sandal to the right of a dress"));
  EXPECT_TRUE(pair.count("a dress and a sandal"));
  for (const std::string& c : pair) {
    EXPECT_EQ(c.find("above"), std::string::npos) << c;  // same row: no vertical relation
  }
}

TEST(CaptionsTest, VocabularyIsSortedUniqueAndHasEveryKindOfWord) {
  const std::vector<std::string> vocab = CaptionVocabulary();
  EXPECT_TRUE(std::is_sorted(vocab.begin(), vocab.end()));
  EXPECT_EQ(std::set<std::string>(vocab.begin(), vocab.end()).size(), vocab.size());
  const std::set<std::string> words(vocab.begin(), vocab.end());
  for (const char* w :
       {"a",       "an",    "photo", "of",   "t-shirt", "jumper", "boot",  "red",   "cyan",
        "color",   "is",    "in",    "left", "right",   "above",  "below", "block", "itap",
        "origami", "video", "game",  "art",  "small",   "large",  "bad"}) {
    EXPECT_TRUE(words.count(w)) << w;
  }
  for (const NamedColor& c : BlockPalette()) EXPECT_TRUE(words.count(c.name)) << c.name;
}

}  // namespace
}  // namespace chromatune::datasets
