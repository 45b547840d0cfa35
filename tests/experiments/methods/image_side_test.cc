#include "experiments/methods/image_side.h"

#include <gtest/gtest.h>

#include "tests/experiments/methods/tiny_model.h"

namespace chromatune::methods {
namespace {

std::vector<datasets::Image> Images(int n, int side) {
  std::vector<datasets::Image> out;
  for (int i = 0; i < n; ++i) {
    datasets::Image img(side, side, 3, static_cast<uint8_t>(20 * i));
    img.set_rgb(side / 2, side / 2, {255, 255, 255});
    out.push_back(img);
  }
  return out;
}

std::vector<const datasets::Image*> Ptrs(const std::vector<datasets::Image>& v) {
  std::vector<const datasets::Image*> p;
  for (const auto& i : v) p.push_back(&i);
  return p;
}

bool AnyBackboneGrad(models::VisionLanguageModel& m) {
  for (const auto& p : m.parameters()) {
    if (p.grad().defined() && p.grad().abs().sum().item<float>() > 0) return true;
  }
  return false;
}

TEST(ImageSideTest, FrozenFeaturesAreNormalisedAndCached) {
  auto model = TinyModel();
  FeatureCache cache;
  auto side = MakeFrozenImageSide(model, &cache);
  auto imgs = Images(3, 32);
  torch::Tensor f = side->Encode(Ptrs(imgs), {"a", "b", "c"});
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_TRUE(torch::allclose(f.norm(2, 1), torch::ones({3}), 1e-4, 1e-4));
  EXPECT_FALSE(f.requires_grad());
  torch::Tensor again = side->Encode(Ptrs(imgs), {"a", "b", "c"});
  EXPECT_EQ(cache.misses(), 3);
  EXPECT_EQ(cache.hits(), 3);
  EXPECT_TRUE(torch::equal(f, again));
  EXPECT_TRUE(side->Parameters().empty());
}

TEST(ImageSideTest, VptTrainsOnlyItsTokens) {
  for (bool deep : {false, true}) {
    auto model = TinyModel();
    auto side = MakeVptImageSide(model, 3, deep);
    ASSERT_TRUE(side.ok()) << side.status().ToString();
    auto params = (*side)->Parameters();
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].sizes(), deep ? (std::vector<int64_t>{2, 3, model->vision_width()})
                                      : (std::vector<int64_t>{3, model->vision_width()}));
    auto imgs = Images(2, 32);
    (*side)->Encode(Ptrs(imgs), {"", ""}).sum().backward();
    EXPECT_GT(params[0].grad().abs().sum().item<float>(), 0.0f);
    EXPECT_FALSE(AnyBackboneGrad(*model));
  }
}

TEST(ImageSideTest, PadPromptTrainsOnlyTheBorder) {
  auto model = TinyModel();
  auto side = MakePadImageSide(model, 3);
  ASSERT_TRUE(side.ok());
  auto params = (*side)->Parameters();
  ASSERT_EQ(params.size(), 1u);
  auto imgs = Images(2, 32);
  // Initialised to zero: the first forward is the zero-shot features.
  FeatureCache cache;
  torch::Tensor plain = MakeFrozenImageSide(model, &cache)->Encode(Ptrs(imgs), {"a", "b"});
  torch::Tensor padded = (*side)->Encode(Ptrs(imgs), {"", ""});
  EXPECT_TRUE(torch::allclose(plain, padded.detach(), 1e-5, 1e-5));
  padded.sum().backward();
  const torch::Tensor g = params[0].grad().abs().sum(1).squeeze(0);  // [H, W]
  EXPECT_GT(g.slice(0, 0, 3).sum().item<float>(), 0.0f);
  EXPECT_EQ(g.slice(0, 3, 29).slice(1, 3, 29).sum().item<float>(), 0.0f);  // interior
  EXPECT_FALSE(AnyBackboneGrad(*model));
  EXPECT_FALSE(MakePadImageSide(model, 16).ok());
}

TEST(ImageSideTest, FinetuneTrainsACloneAndOnlyTheLastBlocks) {
  auto model = TinyModel();
  const auto groups = model->parameter_groups();
  const int64_t entries = static_cast<int64_t>(groups.image_blocks.size());
  auto all = MakeFinetuneImageSide(*model, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)->Parameters().size(), groups.ImageTower().size());
  auto last = MakeFinetuneImageSide(*model, 1);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)->Parameters().size(), groups.image_blocks.back().size());
  auto imgs = Images(2, 32);
  (*last)->Encode(Ptrs(imgs), {"", ""}).sum().backward();
  for (const auto& p : (*last)->Parameters()) EXPECT_TRUE(p.grad().defined());
  // Earlier entries of the clone and the shared backbone get nothing.
  const auto clone_groups = (*last)->model().parameter_groups();
  for (const auto& p : clone_groups.image_blocks.front()) EXPECT_FALSE(p.grad().defined());
  EXPECT_FALSE(AnyBackboneGrad(*model));
  auto too_many = MakeFinetuneImageSide(*model, entries + 1);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("params.last_k_blocks"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::methods
