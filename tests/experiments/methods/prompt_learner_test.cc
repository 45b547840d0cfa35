#include "experiments/methods/prompt_learner.h"

#include <gtest/gtest.h>

namespace chromatune::methods {
namespace {

using models::Tokenizer;

class PromptLearnerTest : public ::testing::Test {
 protected:
  PromptLearnerTest() : tok_(Tokenizer::Builtin()) {
    torch::manual_seed(3);
    table_ = torch::randn({tok_.vocab_size(), 8});
    embed_ = [this](const torch::Tensor& ids) {
      return table_.index_select(0, ids.reshape({-1})).view({ids.size(0), ids.size(1), 8});
    };
  }
  std::vector<int64_t> Row(const PromptBatch& b, int64_t i) {
    std::vector<int64_t> out;
    for (int64_t t = 0; t < b.ids.size(1); ++t) out.push_back(b.ids[i][t].item<int64_t>());
    return out;
  }
  Tokenizer tok_;
  torch::Tensor table_;
  std::function<torch::Tensor(const torch::Tensor&)> embed_;
};

TEST_F(PromptLearnerTest, CoopClassPositions) {
  const int64_t U = Tokenizer::kUnk, S = Tokenizer::kSos, E = Tokenizer::kEos, P = Tokenizer::kPad;
  const int64_t bag = tok_.Id("bag");
  struct Case {
    const char* position;
    std::vector<int64_t> ids;
  };
  for (const Case& c : {Case{"end", {S, U, U, U, U, bag, E, P, P, P}},
                        Case{"front", {S, bag, U, U, U, U, E, P, P, P}},
                        Case{"middle", {S, U, U, bag, U, U, E, P, P, P}}}) {
    auto l = PromptLearner::Coop(&tok_, 10, embed_, 4, c.position, false, 0, "");
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    PromptBatch b = l->Build({{"bag", "", -1}});
    EXPECT_EQ(Row(b, 0), c.ids) << c.position;
    EXPECT_EQ(b.eos_index[0].item<int64_t>(), 6);
    // Context positions carry the learned vectors, the rest the frozen embeddings.
    const auto& ctx = l->context();
    int64_t k = 0;
    for (int64_t t = 0; t < 10; ++t) {
      if (c.ids[t] == U) {
        EXPECT_TRUE(torch::equal(b.embeds[0][t], ctx[k++]));
      } else {
        EXPECT_TRUE(torch::equal(b.embeds[0][t], table_[c.ids[t]]));
      }
    }
    EXPECT_EQ(k, 4);
  }
}

TEST_F(PromptLearnerTest, UnifiedAndClassSpecificContext) {
  auto unified = PromptLearner::Coop(&tok_, 12, embed_, 3, "end", false, 0, "");
  ASSERT_TRUE(unified.ok());
  EXPECT_EQ(unified->context().sizes(), (std::vector<int64_t>{3, 8}));
  auto csc = PromptLearner::Coop(&tok_, 12, embed_, 3, "end", true, 4, "");
  ASSERT_TRUE(csc.ok());
  EXPECT_EQ(csc->context().sizes(), (std::vector<int64_t>{4, 3, 8}));
  EXPECT_TRUE(csc->class_specific());
  PromptBatch b = csc->Build({{"bag", "", 2}, {"coat", "", 0}});
  EXPECT_TRUE(torch::equal(b.embeds[0][1], csc->context()[2][0]));
  EXPECT_TRUE(torch::equal(b.embeds[1][3], csc->context()[0][2]));
  // csc without a class index is an error, not a silent shared context.
  EXPECT_FALSE(csc->Check({{"bag", "", -1}}).ok());
  EXPECT_FALSE(csc->Check({{"bag", "", 4}}).ok());
  EXPECT_TRUE(csc->Check({{"bag", "", 3}}).ok());
}

TEST_F(PromptLearnerTest, InitPhraseFillsTheLastPositionsAndReadsBack) {
  auto l = PromptLearner::Coop(&tok_, 16, embed_, 6, "end", false, 0, "a photo of a");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const std::vector<std::string> words = l->NearestWords();
  ASSERT_EQ(words.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(words.begin() + 2, words.end()),
            (std::vector<std::string>{"a", "photo", "of", "a"}));
  EXPECT_FALSE(PromptLearner::Coop(&tok_, 16, embed_, 2, "end", false, 0, "a photo of a").ok());
  auto unknown = PromptLearner::Coop(&tok_, 16, embed_, 4, "end", false, 0, "zzqx");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("params.init"), std::string::npos);
}

TEST_F(PromptLearnerTest, TooLongForTheContextIsAnError) {
  auto l = PromptLearner::Coop(&tok_, 8, embed_, 5, "end", false, 0, "");
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->Check({{"bag", "", -1}}).ok());  // 1 + 5 + 1 + 1 = 8
  Status s = l->Check({{"the bag left of the shirt", "", -1}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ctx_len"), std::string::npos);
}

TEST_F(PromptLearnerTest, GradientsReachOnlyTheContext) {
  auto l = PromptLearner::Coop(&tok_, 10, embed_, 4, "end", false, 0, "");
  ASSERT_TRUE(l.ok());
  table_.requires_grad_(true);
  PromptBatch b = l->Build({{"bag", "", -1}, {"coat", "", -1}});
  b.embeds.pow(2).sum().backward();
  ASSERT_TRUE(l->context().grad().defined());
  EXPECT_GT(l->context().grad().abs().sum().item<float>(), 0.0f);
  EXPECT_FALSE(table_.grad().defined());  // frozen embeddings are built without grad
}

TEST_F(PromptLearnerTest, CptTemplateTuning) {
  auto dual = PromptLearner::FromTemplate(&tok_, 16, embed_, "{query} is in [MASK] color.", false);
  ASSERT_TRUE(dual.ok()) << dual.status().ToString();
  EXPECT_EQ(dual->context().size(0), 3);  // "is", "in", "color"
  EXPECT_EQ(dual->NearestWords(), (std::vector<std::string>{"is", "in", "color"}));
  PromptBatch b = dual->Build({{"the bag", "red", -1}});
  const int64_t S = Tokenizer::kSos, U = Tokenizer::kUnk, E = Tokenizer::kEos;
  const std::vector<int64_t> row = Row(b, 0);
  EXPECT_EQ(std::vector<int64_t>(row.begin(), row.begin() + 8),
            (std::vector<int64_t>{S, tok_.Id("the"), tok_.Id("bag"), U, U, tok_.Id("red"), U, E}));
  EXPECT_EQ(b.mask_index[0].item<int64_t>(), 5);
  auto fusion = PromptLearner::FromTemplate(&tok_, 16, embed_, "{query} is in [MASK] color.", true);
  ASSERT_TRUE(fusion.ok());
  PromptBatch f = fusion->Build({{"the bag", "", -1}});
  EXPECT_EQ(f.ids[0][5].item<int64_t>(), Tokenizer::kMask);
  EXPECT_EQ(f.mask_index[0].item<int64_t>(), 5);
  EXPECT_FALSE(PromptLearner::FromTemplate(&tok_, 16, embed_, "{query} [MASK]", false).ok());
}

}  // namespace
}  // namespace chromatune::methods
