#include "experiments/methods/head.h"

#include <gtest/gtest.h>

namespace chromatune::methods {
namespace {

torch::Tensor Unit(torch::Tensor x) { return x / x.norm(2, -1, true); }

TEST(HeadTest, CosineScalesSimilarities) {
  auto head = MakeCosineHead(torch::tensor(10.0f));
  torch::Tensor img = Unit(torch::tensor({{1.0f, 0.0f}, {1.0f, 1.0f}}));
  torch::Tensor txt = Unit(torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}}));
  torch::Tensor logits = head->Classify(img, txt);
  EXPECT_NEAR(logits[0][0].item<float>(), 10.0f, 1e-5);
  EXPECT_NEAR(logits[0][1].item<float>(), 0.0f, 1e-5);
  torch::Tensor pairs = head->Pair(img, txt);
  EXPECT_NEAR(pairs[1].item<float>(), 10.0f / std::sqrt(2.0f), 1e-4);
  EXPECT_TRUE(head->Parameters().empty());
}

TEST(HeadTest, LinearHeadStartsFromItsWeightAndTrains) {
  torch::Tensor w = torch::tensor({{2.0f, 0.0f}, {0.0f, 3.0f}, {1.0f, 1.0f}});
  auto head = MakeLinearHead(w);
  torch::Tensor img = torch::tensor({{1.0f, 2.0f}});
  torch::Tensor logits = head->Classify(img, torch::Tensor());
  EXPECT_TRUE(torch::allclose(logits, torch::tensor({{2.0f, 6.0f, 3.0f}})));
  logits.sum().backward();
  ASSERT_EQ(head->Parameters().size(), 2u);
  EXPECT_TRUE(head->Parameters()[0].grad().defined());
  EXPECT_FALSE(w.requires_grad());  // the caller's tensor is copied
}

TEST(HeadTest, BilinearStartsAsCosine) {
  auto bilinear = MakeBilinearHead(2, torch::tensor(5.0f));
  auto cosine = MakeCosineHead(torch::tensor(5.0f));
  torch::Tensor img = Unit(torch::tensor({{1.0f, 2.0f}, {3.0f, -1.0f}}));
  torch::Tensor txt = Unit(torch::tensor({{0.5f, 1.0f}, {1.0f, 0.0f}}));
  EXPECT_TRUE(torch::allclose(bilinear->Pair(img, txt), cosine->Pair(img, txt), 1e-5, 1e-5));
  bilinear->Pair(img, txt).sum().backward();
  EXPECT_TRUE(bilinear->Parameters()[0].grad().defined());
}

}  // namespace
}  // namespace chromatune::methods
