#include "experiments/models/layers.h"

#include <gtest/gtest.h>

namespace chromatune::models {
namespace {

TEST(LayersTest, CausalBlockIgnoresLaterTokens) {
  torch::manual_seed(1);
  TransformerBlock block(8, 2);
  auto x = torch::randn({1, 5, 8});
  auto mask = CausalMask(5, torch::kCPU);
  auto y = block->forward(x, mask);
  auto x2 = x.clone();
  x2[0][4] += torch::randn({8});  // not a constant shift, which LayerNorm would remove
  auto y2 = block->forward(x2, mask);
  EXPECT_TRUE(torch::allclose(y.narrow(1, 0, 4), y2.narrow(1, 0, 4)));
  EXPECT_FALSE(torch::allclose(y.narrow(1, 4, 1), y2.narrow(1, 4, 1)));
  // Without a mask every position sees the change.
  EXPECT_FALSE(
      torch::allclose(block->forward(x).narrow(1, 0, 1), block->forward(x2).narrow(1, 0, 1)));
}

TEST(LayersTest, ConvStemMakesPatchTokens) {
  ConvStem stem(std::vector<int64_t>{4, 8, 6});
  auto tokens = stem->forward(torch::rand({2, 3, 16, 16}));
  EXPECT_EQ(tokens.sizes(), (std::vector<int64_t>{2, 16, 6}));  // 16 / 4 = 4x4 patches
}

TEST(LayersTest, CopyStateCopiesEveryParameter) {
  torch::manual_seed(1);
  TransformerBlock a(8, 2);
  torch::manual_seed(2);
  TransformerBlock b(8, 2);
  auto x = torch::randn({1, 3, 8});
  EXPECT_FALSE(torch::allclose(a->forward(x), b->forward(x)));
  CopyState(*a, *b);
  EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
}

}  // namespace
}  // namespace chromatune::models
