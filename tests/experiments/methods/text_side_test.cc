#include "experiments/methods/text_side.h"

#include <gtest/gtest.h>

#include "tests/experiments/methods/tiny_model.h"

namespace chromatune::methods {
namespace {

TEST(TextSideTest, EnsembleIsTheNormalisedMeanOfTemplates) {
  auto model = TinyModel();
  const std::vector<std::string> templates = {"a photo of a {}.", "art of the {}."};
  auto ensemble = MakeTemplateTextSide(model, templates);
  torch::Tensor e = ensemble->Encode({{"bag", "", 0}, {"coat", "", 1}});
  torch::Tensor sum = torch::zeros_like(e);
  for (const auto& t : templates)
    sum += MakeTemplateTextSide(model, {t})->Encode({{"bag", "", 0}, {"coat", "", 1}});
  torch::Tensor expected = sum / sum.norm(2, 1, true);
  EXPECT_TRUE(torch::allclose(e, expected, 1e-5, 1e-5));
  EXPECT_TRUE(ensemble->Parameters().empty());
  EXPECT_EQ(ensemble->learner(), nullptr);
}

TEST(TextSideTest, ZeroShotMatchesTheModelsOwnTextEncoder) {
  auto model = TinyModel();
  auto zs = MakeTemplateTextSide(model, {"{query} is in [MASK] color."});
  torch::Tensor f = zs->Encode({{"the bag", "red", -1}});
  torch::Tensor direct = model->EncodeTexts({"the bag is in red color."});
  EXPECT_TRUE(torch::allclose(f, direct / direct.norm(2, 1, true), 1e-5, 1e-5));
}

TEST(TextSideTest, CoopGradientsReachOnlyTheContext) {
  auto model = TinyModel(24);
  auto learner = PromptLearner::Coop(&model->tokenizer(), model->context_length(),
                                     TokenEmbedder(model), 4, "end", false, 0, "");
  ASSERT_TRUE(learner.ok());
  auto coop = MakeLearnedTextSide(model, std::move(*learner));
  ASSERT_NE(coop->learner(), nullptr);
  torch::Tensor f = coop->Encode({{"bag", "", 0}, {"coat", "", 1}});
  EXPECT_TRUE(torch::allclose(f.norm(2, 1), torch::ones({2}), 1e-4, 1e-4));
  f.sum().backward();
  auto params = coop->Parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_GT(params[0].grad().abs().sum().item<float>(), 0.0f);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

}  // namespace
}  // namespace chromatune::methods
