// CPT with a fusion model on hand-made grounding examples (untrained tiny-fusion): the
// [MASK] scoring shapes, ceil(P/C) renderings, and prompt tuning that trains only the
// template's context.
#include "experiments/methods/fusion_cpt.h"

#include <gtest/gtest.h>

#include <cmath>

#include "experiments/methods/method_params.h"
#include "experiments/models/tiny_fusion.h"

namespace chromatune::methods {
namespace {

std::shared_ptr<models::TinyFusion> TinyFusionModel() {
  torch::manual_seed(5);
  models::PretrainSpec spec;
  spec.kind = "tiny-fusion";
  spec.image_size = 32;
  spec.conv_widths = {8, 16, 16};
  spec.text_width = 16;
  spec.text_heads = 2;
  spec.fusion_layers = 1;
  spec.context_length = 16;
  auto m = std::make_shared<models::TinyFusion>(spec, models::Tokenizer::Builtin());
  for (auto& p : m->parameters()) p.requires_grad_(false);
  m->SetTraining(false);
  return m;
}

datasets::GroundingExample Example(int id, int proposals) {
  datasets::GroundingExample ex;
  ex.id = id;
  ex.image = datasets::Image(32, 32, 3, static_cast<uint8_t>(30 + id));
  ex.query = "the bag";
  for (int p = 0; p < proposals; ++p) {
    const float x = 1.0f + 6.0f * p;
    ex.proposals.push_back({x, 4.0f, x + 5.0f, 12.0f});
    ex.proposal_masks.push_back(datasets::Mask(32, 32));
    ex.proposal_labels.push_back(p);
  }
  ex.target = id % proposals;
  return ex;
}

datasets::GroundingTask Task() {
  datasets::GroundingTask t;
  t.class_names = {"bag"};
  for (int i = 0; i < 4; ++i) t.support.push_back(Example(i, 5));
  for (int i = 0; i < 6; ++i) t.eval.push_back(Example(10 + i, 5));
  return t;
}

const NamedArray* Find(const TrialResult& r, const std::string& name) {
  for (const auto& a : r.arrays) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

TEST(FusionCptTest, ZeroShotScoresEveryProposalFromItsRendering) {
  auto model = TinyFusionModel();
  CptParams params = ParseCpt(nlohmann::json::object()).value();         // the catalog defaults
  params.colors = {datasets::CptColors()[0], datasets::CptColors()[4]};  // red, blue
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r = RunFusionCpt(Task(), model, params, 1, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->metrics.at("accuracy"), 0.0);
  const NamedArray* colours = Find(*r, "cpt_color_scores");
  ASSERT_NE(colours, nullptr);
  EXPECT_EQ(colours->shape, (std::vector<int64_t>{6, 3, 2}));  // ceil(5 / 2) = 3 renderings
  // Rendering 2 holds only proposal 4 (red): its blue slot is NaN; the rest are log-probs.
  EXPECT_TRUE(std::isnan(colours->data[2 * 2 + 1]));
  EXPECT_LE(colours->data[0], 0.0f);
  const NamedArray* scores = Find(*r, "proposal_scores");
  ASSERT_NE(scores, nullptr);
  EXPECT_EQ(scores->shape, (std::vector<int64_t>{6, 5}));
  EXPECT_FLOAT_EQ(scores->data[3], colours->data[1 * 2 + 1]);  // proposal 3 = (render 1, blue)
  EXPECT_EQ(Find(*r, "context_vectors"), nullptr);             // zero-shot trains nothing
}

TEST(FusionCptTest, PromptTuningTrainsOnlyTheTemplateContext) {
  auto model = TinyFusionModel();
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.clone());
  CptParams params = ParseCpt(nlohmann::json::object()).value();  // the catalog defaults
  params.colors = {datasets::CptColors()[0]};
  params.train.epochs = 2;
  params.train.batch_size = 2;
  params.train.lr = 0.1;
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r = RunFusionCpt(Task(), model, params, 1, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const NamedArray* c = Find(*r, "context_vectors");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->shape[0], 3);  // "is", "in", "color"
  EXPECT_EQ(r->info["context_words"].size(), 3u);
  EXPECT_EQ(r->metrics.at("train_steps"), 4);
  const auto after = model->parameters();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i]));
}

TEST(FusionCptTest, AColourOutsideTheVocabularyIsAnError) {
  auto model = TinyFusionModel();
  CptParams params = ParseCpt(nlohmann::json::object()).value();  // the catalog defaults
  params.colors = {{"magentaish", {255, 0, 255}}};
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r = RunFusionCpt(Task(), model, params, 1, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("magentaish"), std::string::npos);
}

// refexp through fusion CPT: the evaluated split is named, further splits are reported apart,
// and detector proposals are scored by overlap. A first run gives the choices; then each
// example's ground truth is its chosen box and its target another proposal, so every choice
// is a non-target hit (0 under index equality).
TEST(FusionCptTest, ReportsEverySplitAndScoresDetectorProposalsByOverlap) {
  auto model = TinyFusionModel();
  CptParams params = ParseCpt(nlohmann::json::object()).value();
  params.colors = {datasets::CptColors()[0], datasets::CptColors()[4]};
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  datasets::GroundingTask task = Task();
  task.eval_split = "val";
  auto first = RunFusionCpt(task, model, params, 1, ctx);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const NamedArray* picked = Find(*first, "predictions");
  ASSERT_NE(picked, nullptr);
  for (size_t i = 0; i < task.eval.size(); ++i) {
    datasets::GroundingExample& ex = task.eval[i];
    const int p = static_cast<int>(picked->data[i]);
    ex.ground_truth = ex.proposals[p];
    ex.target = (p + 1) % static_cast<int>(ex.proposals.size());
  }
  task.more_evals.emplace_back("testA", task.eval);
  task.more_evals.emplace_back(
      "testB", std::vector<datasets::GroundingExample>(task.eval.begin(), task.eval.begin() + 2));
  auto r = RunFusionCpt(task, model, params, 1, ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Find(*r, "predictions")->data, picked->data);
  EXPECT_DOUBLE_EQ(r->metrics.at("accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(r->metrics.at("accuracy/val"), 1.0);
  EXPECT_DOUBLE_EQ(r->metrics.at("accuracy/testA"), 1.0);
  EXPECT_DOUBLE_EQ(r->metrics.at("accuracy/testB"), 1.0);
  EXPECT_EQ(r->metrics.at("eval_size/testA"), 6);
  EXPECT_EQ(r->metrics.at("eval_size/testB"), 2);
}

}  // namespace
}  // namespace chromatune::methods
