#include "experiments/models/torchscript_model.h"

#include <gtest/gtest.h>

namespace chromatune::models {
namespace {

// Built by tests/experiments/models.cmake with export_tiny_torchscript.py.
const char* kFixture = CT_TINY_TORCHSCRIPT;
const char* kBrokenFixture = CT_TINY_TORCHSCRIPT_BROKEN;

TEST(TorchScriptModelTest, LoadsAndEncodes) {
  torch::set_num_threads(1);
  auto backbone = LoadOrPretrain(std::string("torchscript:") + kFixture, "unused", nullptr, {});
  ASSERT_TRUE(backbone.ok()) << backbone.status().ToString();
  auto& model = *(*backbone)->dual;
  EXPECT_EQ(model.image_size(), 32);
  EXPECT_EQ(model.context_length(), 8);
  EXPECT_EQ(model.embed_dim(), 12);
  EXPECT_EQ(model.token_width(), 16);
  EXPECT_FALSE(model.supports_visual_prompts());
  EXPECT_EQ(model.tokenizer().Id("sneaker"), 10);
  EXPECT_EQ(model.EncodeImage(torch::rand({3, 3, 32, 32}), {}).sizes(),
            (std::vector<int64_t>{3, 12}));
  EXPECT_EQ(model.EncodeTexts({"a photo of the bag", "a sneaker"}).sizes(),
            (std::vector<int64_t>{2, 12}));
  EXPECT_NEAR(model.LogitScale().item<double>(), std::exp(2.0), 1e-5);
  auto groups = model.parameter_groups();
  EXPECT_FALSE(groups.ImageTower().empty());
  EXPECT_FALSE(groups.TextTower().empty());
  EXPECT_EQ(groups.other.size(), 1u);
  VisualPrompt vp;
  vp.shallow = torch::zeros({1, 4});
  EXPECT_THROW(model.EncodeImage(torch::rand({1, 3, 32, 32}), vp), c10::Error);
}

TEST(TorchScriptModelTest, CoopContextGetsGradientsOnly) {
  torch::set_num_threads(1);
  auto loaded = TorchScriptModel::Load(kFixture);
  ASSERT_TRUE(loaded.ok());
  auto& model = **loaded;
  for (auto& p : model.parameters()) p.requires_grad_(false);
  auto enc = model.tokenizer().Encode({"x x bag"}, model.context_length());
  auto ctx = torch::randn({2, model.token_width()}).requires_grad_(true);
  auto emb = model.TokenEmbedding(enc.ids);
  auto spliced = torch::cat({emb.narrow(1, 0, 1), ctx.unsqueeze(0), emb.narrow(1, 3, 5)}, 1);
  model.EncodeTextFromEmbeddings(spliced, enc.eos_index).pow(2).sum().backward();
  ASSERT_TRUE(ctx.grad().defined());
  EXPECT_GT(ctx.grad().abs().sum().item<double>(), 0.0);
  for (auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(TorchScriptModelTest, CloneHasItsOwnWeights) {
  auto loaded = TorchScriptModel::Load(kFixture);
  ASSERT_TRUE(loaded.ok());
  auto clone = (*loaded)->Clone();
  auto images = torch::rand({1, 3, 32, 32});
  auto before = (*loaded)->EncodeImage(images, {});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : clone->parameters()) p.add_(1.0);
  }
  EXPECT_TRUE(torch::equal(before, (*loaded)->EncodeImage(images, {})));
  EXPECT_FALSE(torch::equal(before, clone->EncodeImage(images, {})));
}

TEST(TorchScriptModelTest, ErrorsNameThePathAndTheMissingMethod) {
  auto broken = TorchScriptModel::Load(kBrokenFixture);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("encode_text_from_embeddings"), std::string::npos);
  EXPECT_NE(broken.status().message().find(kBrokenFixture), std::string::npos);
  auto missing = TorchScriptModel::Load("/nonexistent/model.pt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model.pt"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::models
