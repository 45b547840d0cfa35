#include "experiments/models/tiny_clip.h"

#include <gtest/gtest.h>

#include <set>

#include "datasets/fashion_ref.h"
#include "experiments/models/evaluate.h"
#include "tests/experiments/models/tiny_spec.h"

namespace chromatune::models {
namespace {

class TinyClipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(3);
    model_ = std::make_shared<TinyClip>(testing::TinySpec(), Tokenizer::Builtin());
    for (auto& p : model_->parameters()) p.requires_grad_(false);
    images_ = torch::rand({2, 3, 32, 32});
  }
  bool AnyModelGrad() {
    for (auto& p : model_->parameters()) {
      if (p.grad().defined()) return true;
    }
    return false;
  }
  std::shared_ptr<TinyClip> model_;
  torch::Tensor images_;
};

TEST_F(TinyClipTest, Shapes) {
  EXPECT_EQ(model_->EncodeImage(images_, {}).sizes(), (std::vector<int64_t>{2, 16}));
  auto text = model_->EncodeTexts({"a photo of a bag", "a sneaker"});
  EXPECT_EQ(text.sizes(), (std::vector<int64_t>{2, 16}));
  auto enc = model_->tokenizer().Encode({"a bag"}, 12);
  EXPECT_EQ(model_->TokenEmbedding(enc.ids).sizes(), (std::vector<int64_t>{1, 12, 16}));
  EXPECT_EQ(model_->LogitScale().dim(), 0);
  EXPECT_EQ(model_->vision_width(), 16);
  EXPECT_EQ(model_->vision_layers(), 2);
}

TEST_F(TinyClipTest, TextFeatureIgnoresTokensAfterEos) {
  auto enc = model_->tokenizer().Encode({"a bag"}, 12);
  auto a = model_->EncodeText(enc.ids, enc.eos_index);
  enc.ids[0][6] = model_->tokenizer().Id("shirt");  // after [EOS]
  auto b = model_->EncodeText(enc.ids, enc.eos_index);
  EXPECT_TRUE(torch::allclose(a, b));
}

TEST_F(TinyClipTest, ShallowVptGivesGradientsOnlyToPrompts) {
  auto prompt = torch::randn({4, 16}).requires_grad_(true);
  VisualPrompt vp;
  vp.shallow = prompt;
  auto with = model_->EncodeImage(images_, vp);
  with.pow(2).sum().backward();
  ASSERT_TRUE(prompt.grad().defined());
  EXPECT_GT(prompt.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(AnyModelGrad());
  EXPECT_FALSE(torch::allclose(with, model_->EncodeImage(images_, {})));
}

TEST_F(TinyClipTest, DeepVptGivesGradientsToEveryLayersPrompts) {
  auto prompt = torch::randn({2, 3, 16}).requires_grad_(true);
  VisualPrompt vp;
  vp.deep = prompt;
  model_->EncodeImage(images_, vp).pow(2).sum().backward();
  ASSERT_TRUE(prompt.grad().defined());
  EXPECT_GT(prompt.grad()[0].abs().sum().item<double>(), 0.0);
  EXPECT_GT(prompt.grad()[1].abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(AnyModelGrad());
  VisualPrompt wrong;
  wrong.deep = torch::randn({3, 3, 16});  // 3 layers for a 2-layer tower
  EXPECT_THROW(model_->EncodeImage(images_, wrong), c10::Error);
}

TEST_F(TinyClipTest, CoopContextSplicedIntoEmbeddingsGetsGradientsOnly) {
  // "[SOS] X X X bag [EOS]": the X positions are replaced by learned context vectors.
  auto enc = model_->tokenizer().Encode({"x x x bag"}, 12);
  auto ctx = torch::randn({3, 16}).requires_grad_(true);
  auto emb = model_->TokenEmbedding(enc.ids);
  auto spliced = torch::cat({emb.narrow(1, 0, 1), ctx.unsqueeze(0), emb.narrow(1, 4, 8)}, 1);
  model_->EncodeTextFromEmbeddings(spliced, enc.eos_index).pow(2).sum().backward();
  ASSERT_TRUE(ctx.grad().defined());
  EXPECT_GT(ctx.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(AnyModelGrad());
}

TEST_F(TinyClipTest, ParameterGroupsPartitionTheParameters) {
  ParameterGroups g = model_->parameter_groups();
  EXPECT_EQ(g.image_blocks.size(), 4u);  // stem, 2 blocks, head
  EXPECT_EQ(g.text_blocks.size(), 3u);   // embeddings, 1 block, head
  std::set<const void*> seen;
  size_t count = 0;
  auto add = [&](const std::vector<torch::Tensor>& ps) {
    for (const auto& p : ps) {
      seen.insert(p.unsafeGetTensorImpl());
      ++count;
    }
  };
  add(g.ImageTower());
  add(g.TextTower());
  add(g.other);
  EXPECT_EQ(count, seen.size());
  EXPECT_EQ(count, model_->parameters().size());
}

TEST_F(TinyClipTest, CloneIsIndependent) {
  auto clone = model_->Clone();
  auto before = model_->EncodeImage(images_, {});
  EXPECT_TRUE(torch::allclose(before, clone->EncodeImage(images_, {})));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : clone->parameters()) p.add_(0.1);
  }
  EXPECT_TRUE(torch::allclose(before, model_->EncodeImage(images_, {})));
  EXPECT_FALSE(torch::allclose(before, clone->EncodeImage(images_, {})));
}

// The grounding evaluation splits its accuracy by query kind: class queries where the
// target's class is unique, relational ones where it has a twin; the parts add up.
TEST(GroundingEvaluationTest, AccuracySplitsByQueryKind) {
  torch::set_num_threads(1);
  torch::manual_seed(4);
  PretrainSpec spec = testing::TinySpec();
  spec.image_size = 56;  // FashionRef's canvas: three 18..26 px items must fit
  TinyClip model(spec, Tokenizer::Builtin());
  GroundingEvalOptions options;
  options.size = 40;
  auto score = GroundingAccuracy(model, options);
  ASSERT_TRUE(score.ok()) << score.status().ToString();

  datasets::FashionRefOptions ref;
  ref.num_distractors = 0;
  auto set = datasets::MakeFashionRef(datasets::FashionRefPool::kEval, 40, ref);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  int64_t twins = 0;
  for (const auto& ex : *set) twins += datasets::HasTwinOfTarget(ex);
  EXPECT_EQ(score->relational_queries, twins);
  EXPECT_EQ(score->class_queries, 40 - twins);
  EXPECT_GT(twins, 0);
  EXPECT_GT(40 - twins, 0);
  const double weighted = (score->class_query_accuracy * static_cast<double>(40 - twins) +
                           score->relational_accuracy * static_cast<double>(twins)) /
                          40.0;
  EXPECT_NEAR(score->accuracy, weighted, 1e-12);
  for (double a : {score->accuracy, score->class_query_accuracy, score->relational_accuracy}) {
    EXPECT_GE(a, 0.0);
    EXPECT_LE(a, 1.0);
  }
}

}  // namespace
}  // namespace chromatune::models
