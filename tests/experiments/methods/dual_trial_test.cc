// The dual-encoder trial on hand-made tasks with an untrained tiny model: the data-parallel
// contract (R ranks = one rank with the same global batch; ranks agree) and result shapes.
#include "experiments/methods/dual_trial.h"

#include <gtest/gtest.h>

#include <thread>

#include "experiments/methods/method_params.h"
#include "tests/experiments/methods/thread_communicator.h"
#include "tests/experiments/methods/tiny_model.h"

namespace chromatune::methods {
namespace {

datasets::Image Pattern(int i, int side) {
  datasets::Image img(side, side, 3, 0);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const uint8_t v = static_cast<uint8_t>((x * (i % 3 + 1) + y * (i % 5 + 2) + 17 * i) % 256);
      img.set_rgb(y, x, {v, static_cast<uint8_t>(255 - v), static_cast<uint8_t>(i * 9)});
    }
  }
  return img;
}

datasets::ClassificationTask Task(int side) {
  datasets::ClassificationTask t;
  t.class_names = {"bag", "coat", "sneaker"};
  for (int i = 0; i < 9; ++i) {
    t.support.images.push_back(Pattern(i, side));
    t.support.labels.push_back(i % 3);
    t.support.source_ids.push_back(i);
  }
  for (int i = 0; i < 7; ++i) {
    t.eval.images.push_back(Pattern(100 + i, side));
    t.eval.labels.push_back(i % 3);
    t.eval.source_ids.push_back(i);
  }
  return t;
}

// CoOp (learned context, frozen image features) with its own model and caches. Built on
// the main thread: model and context initialisation draw from torch's global generator.
struct Coop {
  Coop() {
    model = TinyModel(24);
    torch::manual_seed(4);
    image = MakeFrozenImageSide(model, &cache);
    auto learner = PromptLearner::Coop(&model->tokenizer(), model->context_length(),
                                       TokenEmbedder(model), 3, "end", false, 0, "");
    EXPECT_TRUE(learner.ok());
    text = MakeLearnedTextSide(model, std::move(*learner));
    head = MakeCosineHead(torch::tensor(20.0f));
    train.epochs = 3;
    train.batch_size = 4;
    train.lr = 0.05;
  }
  TrialResult Run(Communicator* comm) {
    DualMethod m{image.get(), text.get(), head.get(), &train, 9};
    TrialContext ctx;
    ctx.comm = comm;
    auto r = RunDualClassification(Task(32), "synthetic", m, ctx);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TrialResult{};
  }
  torch::Tensor context() const { return text->learner()->context().detach().clone(); }

  std::shared_ptr<models::TinyClip> model;
  FeatureCache cache;
  std::unique_ptr<ImageSide> image;
  std::unique_ptr<TextSide> text;
  std::unique_ptr<Head> head;
  TrainParams train = DefaultTrainParams("coop", 16);
};

TEST(DualTrialTest, TwoRanksMatchOneRank) {
  LocalCommunicator one;
  Coop single;
  const TrialResult r1 = single.Run(&one);
  std::vector<std::unique_ptr<Coop>> ranks;
  for (int r = 0; r < 2; ++r) ranks.push_back(std::make_unique<Coop>());
  ThreadGroup group(2);
  std::vector<TrialResult> out(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ThreadCommunicator comm(&group, r);
      out[r] = ranks[r]->Run(&comm);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(torch::equal(ranks[0]->context(), ranks[1]->context()));  // ranks agree exactly
  EXPECT_TRUE(torch::allclose(ranks[0]->context(), single.context(), 1e-5, 1e-5));
  EXPECT_EQ(out[0].metrics.at("accuracy"), out[1].metrics.at("accuracy"));
  EXPECT_EQ(out[0].arrays[0].data, out[1].arrays[0].data);  // predictions
  EXPECT_EQ(out[0].metrics.at("accuracy"), r1.metrics.at("accuracy"));
  EXPECT_NEAR(out[0].metrics.at("train_loss"), r1.metrics.at("train_loss"), 1e-5);
}

TEST(DualTrialTest, ClassificationResultShapes) {
  LocalCommunicator one;
  Coop coop;
  const TrialResult r = coop.Run(&one);
  EXPECT_EQ(r.metrics.at("eval_size"), 7);
  EXPECT_EQ(r.metrics.at("support_size"), 9);
  EXPECT_EQ(r.metrics.at("train_steps"), 9);  // 3 epochs x ceil(9 / 4)
  ASSERT_EQ(r.arrays[0].name, "predictions");
  for (float p : r.arrays[0].data) {
    EXPECT_GE(p, 0.0f);
    EXPECT_LT(p, 3.0f);
  }
  EXPECT_EQ(r.info["support_ids"].size(), 9u);
  EXPECT_EQ(coop.context().sizes(), (std::vector<int64_t>{3, 16}));
}

TEST(DualTrialTest, TrainingWithoutSupportIsAnError) {
  auto model = TinyModel();
  FeatureCache cache;
  auto image = MakeFrozenImageSide(model, &cache);
  auto text = MakeTemplateTextSide(model, {"a photo of a {}."});
  auto head = MakeLinearHead(torch::zeros({3, 16}));
  TrainParams train = DefaultTrainParams("coop", 1);
  train.epochs = 1;
  DualMethod m{image.get(), text.get(), head.get(), &train, 1};
  datasets::ClassificationTask t = Task(32);
  t.support = {};
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto r = RunDualClassification(t, "synthetic", m, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("shots"), std::string::npos);
}

// Detector proposals (refexp with a proposals file) are scored by overlap, not by index: a
// choice is correct when its IoU with the ground truth is >= 0.5, even when it is not the
// best-overlapping `target`. Each example has two pairs of near-identical boxes (IoU 0.87
// within a pair, 0 across); a first run finds the box the untrained model picks, then the
// ground truth is set to that box's partner (a hit that is not the target) or to a box of the
// other pair (a miss). Index equality would score every example wrong.
TEST(DualTrialTest, DetectorProposalsAreScoredByOverlapWithTheGroundTruth) {
  const std::vector<datasets::Box> boxes = {
      {0, 0, 14, 14}, {1, 0, 15, 14}, {16, 16, 32, 32}, {17, 16, 32, 32}};
  const int partner[] = {1, 0, 3, 2};
  datasets::GroundingTask task;
  task.class_names = {"bag"};
  for (int i = 0; i < 6; ++i) {
    datasets::GroundingExample ex;
    ex.id = i;
    ex.image = Pattern(40 + i, 32);
    ex.query = "the bag";
    ex.proposals = boxes;
    ex.proposal_labels.assign(boxes.size(), -1);
    task.eval.push_back(ex);
  }
  task.eval_split = "val";
  auto model = TinyModel();
  FeatureCache cache;
  auto image = MakeFrozenImageSide(model, &cache);
  auto text = MakeTemplateTextSide(model, {"{}"});
  auto head = MakeCosineHead(torch::tensor(20.0f));
  DualMethod m{image.get(), text.get(), head.get(), nullptr, 1};
  const ViewFn views = [](const datasets::GroundingExample& ex, const std::string& key) {
    return CropViews(ex, 32, key);
  };
  LocalCommunicator comm;
  TrialContext ctx;
  ctx.comm = &comm;
  auto first = RunDualGrounding(task, "synthetic", views, m, false, ctx);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->arrays[0].name, "predictions");
  const std::vector<float> picked = first->arrays[0].data;
  for (int i = 0; i < 6; ++i) {
    const int p = static_cast<int>(picked[i]);
    ASSERT_GE(p, 0);
    ASSERT_LT(p, 4);
    datasets::GroundingExample& ex = task.eval[i];
    // Examples 0..3 are hits through the partner box, 4 and 5 misses.
    ex.target = i < 4 ? partner[p] : (p + 2) % 4;
    ex.ground_truth = boxes[ex.target];
    EXPECT_EQ(datasets::IsCorrectChoice(ex, p), i < 4) << i;
  }
  task.more_evals.emplace_back("testA", task.eval);
  auto second = RunDualGrounding(task, "synthetic", views, m, false, ctx);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->arrays[0].data, picked);  // the same choices, scored by the other rule
  EXPECT_DOUBLE_EQ(second->metrics.at("accuracy"), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(second->metrics.at("accuracy/val"), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(second->metrics.at("accuracy/testA"), 4.0 / 6.0);
}

}  // namespace
}  // namespace chromatune::methods
