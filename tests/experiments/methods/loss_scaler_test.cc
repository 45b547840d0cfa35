// LossScaler (fp16's dynamic loss scaling) on the CPU: the arithmetic is the same as on a
// GPU, only autocast's fp16 is not available here.
#include "experiments/methods/loss_scaler.h"

#include <gtest/gtest.h>

#include <limits>

#include "experiments/methods/trainer.h"

namespace chromatune::methods {
namespace {

torch::Tensor WithGrad(std::vector<float> grad) {
  torch::Tensor p = torch::zeros({static_cast<int64_t>(grad.size())}).requires_grad_(true);
  p.mutable_grad() = torch::tensor(grad);
  return p;
}

TEST(LossScalerTest, DisabledIsTheIdentity) {
  LossScaler s(false);
  EXPECT_EQ(s.scale(), 1.0);
  torch::Tensor p = WithGrad({std::numeric_limits<float>::infinity()});
  EXPECT_TRUE(s.UnscaleAndCheck({p}));
  s.Update(false);
  EXPECT_EQ(s.scale(), 1.0);
  EXPECT_EQ(s.skipped_steps(), 0);
}

TEST(LossScalerTest, UnscalesExactlyAndFlagsOverflow) {
  LossScaler s(true, 1024.0, 3);
  torch::Tensor p = WithGrad({2048.0f, -512.0f});
  EXPECT_TRUE(s.UnscaleAndCheck({p}));
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({2.0f, -0.5f})));
  torch::Tensor q = WithGrad({1.0f, std::numeric_limits<float>::quiet_NaN()});
  EXPECT_FALSE(s.UnscaleAndCheck({p, q}));
  s.Update(false);
  EXPECT_EQ(s.scale(), 512.0);
  EXPECT_EQ(s.skipped_steps(), 1);
}

TEST(LossScalerTest, GrowsAfterTheIntervalOfGoodSteps) {
  LossScaler s(true, 8.0, 3);
  s.Update(true);
  s.Update(true);
  EXPECT_EQ(s.scale(), 8.0);
  s.Update(true);
  EXPECT_EQ(s.scale(), 16.0);
  s.Update(false);  // an overflow resets the run of good steps
  s.Update(true);
  s.Update(true);
  EXPECT_EQ(s.scale(), 8.0);
}

// Power-of-two scales are exact in float32: training with scaling gives the same
// parameters, bit for bit, as training without (what fp16 runs rely on being harmless).
TEST(LossScalerTest, ScaledTrainingEqualsPlainTrainingBitForBit) {
  const torch::Tensor x = torch::linspace(-1, 1, 48).view({16, 3}).sin();
  const torch::Tensor y = x.matmul(torch::tensor({0.5f, -1.0f, 2.0f}));
  auto train = [&](bool scaling) {
    torch::Tensor w = torch::zeros({3}).requires_grad_(true);
    LocalCommunicator comm;
    TrialContext ctx;
    ctx.comm = &comm;
    TrainHooks hooks;
    hooks.loss_sum = [&](const std::vector<int64_t>& idx) {
      torch::Tensor i = torch::tensor(idx);
      return (x.index_select(0, i).matmul(w) - y.index_select(0, i)).pow(2).sum();
    };
    TrainParams t;
    t.optimizer = "adamw";
    t.schedule = "cosine";
    t.epochs = 5;
    t.lr = 0.05;
    t.batch_size = 4;
    t.loss_scaling = scaling;
    auto r = TrainLoop({w}, 16, t, 3, ctx, hooks);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      EXPECT_EQ(r->skipped_steps, 0);
    }
    return w.detach().clone();
  };
  const torch::Tensor plain = train(false);
  const torch::Tensor scaled = train(true);
  EXPECT_TRUE(torch::equal(plain, scaled)) << plain << scaled;
  EXPECT_FALSE(torch::equal(plain, torch::zeros({3})));
}

}  // namespace
}  // namespace chromatune::methods
