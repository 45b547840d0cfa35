#include "experiments/models/tiny_fusion.h"

#include <gtest/gtest.h>

#include "tests/experiments/models/tiny_spec.h"

namespace chromatune::models {
namespace {

TEST(TinyFusionTest, MaskLogitsAndMatchShapes) {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  TinyFusion model(testing::TinySpec("tiny-fusion"), Tokenizer::Builtin());
  auto images = torch::rand({2, 3, 32, 32});
  auto enc = model.tokenizer().Encode(
      {"the bag is in [MASK] color", "the shirt is in [MASK] color"}, model.context_length());
  auto mask_index = torch::tensor({5, 5}, torch::kInt64);
  EXPECT_EQ(enc.ids[0][5].item<int64_t>(), Tokenizer::kMask);
  auto logits = model.MaskLogits(images, enc.ids, mask_index);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, model.tokenizer().vocab_size()}));
  EXPECT_EQ(model.MatchLogit(images, enc.ids).sizes(), (std::vector<int64_t>{2}));
}

TEST(TinyFusionTest, PaddingIsInvisible) {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  TinyFusion model(testing::TinySpec("tiny-fusion"), Tokenizer::Builtin());
  auto images = torch::rand({1, 3, 32, 32});
  auto short_enc = model.tokenizer().Encode({"the bag is in [MASK] color"}, 8);
  auto long_enc = model.tokenizer().Encode({"the bag is in [MASK] color"}, 12);
  auto idx = torch::tensor({5}, torch::kInt64);
  EXPECT_TRUE(torch::allclose(model.MaskLogits(images, short_enc.ids, idx),
                              model.MaskLogits(images, long_enc.ids, idx), 1e-5, 1e-5));
}

TEST(TinyFusionTest, LearnedContextThroughEmbeddingsGetsGradientsOnly) {
  torch::set_num_threads(1);
  TinyFusion model(testing::TinySpec("tiny-fusion"), Tokenizer::Builtin());
  for (auto& p : model.parameters()) p.requires_grad_(false);
  auto enc = model.tokenizer().Encode({"x x bag is in [MASK] color"}, model.context_length());
  auto ctx = torch::randn({2, 16}).requires_grad_(true);
  auto emb = model.TokenEmbedding(enc.ids);
  auto spliced = torch::cat({emb.narrow(1, 0, 1), ctx.unsqueeze(0), emb.narrow(1, 3, 9)}, 1);
  auto logits = model.MaskLogitsFromEmbeddings(torch::rand({1, 3, 32, 32}), spliced, enc.ids,
                                               torch::tensor({6}, torch::kInt64));
  logits.logsumexp(1).sum().backward();
  ASSERT_TRUE(ctx.grad().defined());
  EXPECT_GT(ctx.grad().abs().sum().item<double>(), 0.0);
  for (auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
}

}  // namespace
}  // namespace chromatune::models
