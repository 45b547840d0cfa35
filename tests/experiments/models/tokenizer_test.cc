#include "experiments/models/tokenizer.h"

#include <gtest/gtest.h>

#include "datasets/captions.h"
#include "datasets/fashion_mnist.h"

namespace chromatune::models {
namespace {

TEST(TokenizerTest, SplitLowercasesDropsPunctuationKeepsHyphensAndSpecials) {
  EXPECT_EQ(Tokenizer::Split("A T-shirt/Top."), (std::vector<std::string>{"a", "t-shirt", "top"}));
  EXPECT_EQ(Tokenizer::Split("the bag is in [MASK] color."),
            (std::vector<std::string>{"the", "bag", "is", "in", "[MASK]", "color"}));
  EXPECT_EQ(Tokenizer::Split("[mask] -x- [notspecial]"),
            (std::vector<std::string>{"[MASK]", "x", "notspecial"}));
}

TEST(TokenizerTest, FromTextsIsSortedAfterSpecials) {
  Tokenizer tok = Tokenizer::FromTexts({"b a", "c a"});
  EXPECT_EQ(tok.words(), (std::vector<std::string>{"[PAD]", "[SOS]", "[EOS]", "[MASK]", "[UNK]",
                                                   "a", "b", "c"}));
  EXPECT_EQ(tok.Id("b"), 6);
  EXPECT_EQ(tok.Id("zebra"), Tokenizer::kUnk);
  EXPECT_EQ(tok.Word(7), "c");
  EXPECT_EQ(tok.Word(99), "[UNK]");
}

TEST(TokenizerTest, EncodePadsAndMarksEos) {
  Tokenizer tok = Tokenizer::FromTexts({"a photo of a bag"});
  auto enc = tok.Encode({"a bag", "a photo of a bag"}, 6);
  ASSERT_EQ(enc.ids.sizes(), (std::vector<int64_t>{2, 6}));
  auto ids = enc.ids.accessor<int64_t, 2>();
  EXPECT_EQ(ids[0][0], Tokenizer::kSos);
  EXPECT_EQ(ids[0][1], tok.Id("a"));
  EXPECT_EQ(ids[0][2], tok.Id("bag"));
  EXPECT_EQ(ids[0][3], Tokenizer::kEos);
  EXPECT_EQ(ids[0][4], Tokenizer::kPad);
  EXPECT_EQ(enc.eos_index[0].item<int64_t>(), 3);
  // Too long: words are truncated, [EOS] is kept in the last slot.
  EXPECT_EQ(ids[1][5], Tokenizer::kEos);
  EXPECT_EQ(ids[1][4], tok.Id("a"));
  EXPECT_EQ(enc.eos_index[1].item<int64_t>(), 5);
}

TEST(TokenizerTest, FromWordsRequiresSpecialsAndUniqueWords) {
  EXPECT_FALSE(Tokenizer::FromWords({"a", "b"}).ok());
  EXPECT_FALSE(Tokenizer::FromWords({"[PAD]", "[SOS]", "[EOS]", "[MASK]", "[UNK]", "a", "a"}).ok());
  auto tok = Tokenizer::FromWords({"[PAD]", "[SOS]", "[EOS]", "[MASK]", "[UNK]", "z", "a"});
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->Id("z"), 5);  // order kept, not re-sorted
}

TEST(TokenizerTest, BuiltinCoversCorpusClassesAndPrompts) {
  Tokenizer tok = Tokenizer::Builtin();
  for (const std::string& w : datasets::CaptionVocabulary()) {
    for (const std::string& part : Tokenizer::Split(w)) EXPECT_TRUE(tok.Contains(part)) << part;
  }
  for (const std::string& w : datasets::FashionClassWords()) EXPECT_TRUE(tok.Contains(w)) << w;
  for (const char* prompt :
       {"a photo of a sneaker.", "the bag left of the shirt is in [MASK] color."}) {
    for (int64_t id : tok.EncodeWords(prompt)) EXPECT_NE(id, Tokenizer::kUnk) << prompt;
  }
}

}  // namespace
}  // namespace chromatune::models
