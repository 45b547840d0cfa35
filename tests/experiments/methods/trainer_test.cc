#include "experiments/methods/trainer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "tests/experiments/methods/thread_communicator.h"

namespace chromatune::methods {
namespace {

// A linear least-squares problem: 24 examples, 3 features, known weights.
struct Problem {
  torch::Tensor x = torch::linspace(-1, 1, 72).view({24, 3}).sin();
  torch::Tensor y = x.matmul(torch::tensor({0.5f, -1.0f, 2.0f}));
};

TrainParams Sgd(int64_t epochs, int64_t batch) {
  TrainParams t;
  t.optimizer = "sgd";
  t.schedule = "cosine";
  t.epochs = epochs;
  t.lr = 0.1;
  t.batch_size = batch;
  t.momentum = 0.9;
  t.weight_decay = 0.0;
  return t;
}

torch::Tensor Train(Communicator* comm, const Problem& pb, const TrainParams& t,
                    std::vector<CurvePoint>* curves) {
  torch::Tensor w = torch::zeros({3}).requires_grad_(true);
  TrialContext ctx;
  ctx.comm = comm;
  TrainHooks hooks;
  hooks.loss_sum = [&](const std::vector<int64_t>& idx) {
    torch::Tensor i = torch::tensor(idx);
    return (pb.x.index_select(0, i).matmul(w) - pb.y.index_select(0, i)).pow(2).sum();
  };
  auto r = TrainLoop({w}, 24, t, /*seed=*/11, ctx, hooks);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok() && curves) *curves = r->curves;
  return w.detach().clone();
}

TEST(TrainerTest, ShardsCoverTheBatch) {
  for (int size : {1, 2, 3, 5}) {
    int64_t covered = 0, prev_end = 0;
    for (int r = 0; r < size; ++r) {
      auto [b, e] = ShardOf(7, r, size);
      EXPECT_EQ(b, prev_end);
      covered += e - b;
      prev_end = e;
    }
    EXPECT_EQ(covered, 7);
  }
}

TEST(TrainerTest, LossDecreasesAndCurvesAreRecorded) {
  LocalCommunicator comm;
  Problem pb;
  std::vector<CurvePoint> curves;
  Train(&comm, pb, Sgd(20, 8), &curves);
  ASSERT_EQ(curves.size(), 20u);
  EXPECT_EQ(curves.front().name, "train_loss");
  EXPECT_EQ(curves.front().step, 1);
  EXPECT_LT(curves.back().value, 0.05 * curves.front().value);
}

TEST(TrainerTest, TwoRanksMatchOneRankWithTheSameGlobalBatch) {
  Problem pb;
  LocalCommunicator one;
  const torch::Tensor single = Train(&one, pb, Sgd(5, 8), nullptr);
  ThreadGroup group(2);
  std::vector<torch::Tensor> out(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ThreadCommunicator comm(&group, r);
      out[r] = Train(&comm, pb, Sgd(5, 8), nullptr);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(torch::equal(out[0], out[1]));  // ranks agree exactly
  EXPECT_TRUE(torch::allclose(out[0], single, 1e-5, 1e-5)) << out[0] << single;
}

// One rank whose reductions are counted (otherwise a LocalCommunicator).
class CountingCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "counting"; }
  Status AllReduceSum(float*, size_t) override {
    ++reductions;
    return Status::Ok();
  }
  std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float* data, size_t count) override {
    ++reductions;
    return LocalCommunicator().AllReduceSumAsync(data, count);
  }
  Status Broadcast(void*, size_t, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }
  int reductions = 0;
};

// CHROMATUNE_REDUCE_ONE_RANK=1 (bench/gpu/run.sh, figure d): a one-rank trial's gradients go
// through the reducer too, and that changes no bit of the result.
TEST(TrainerTest, ReducingOneRankChangesNoBit) {
  Problem pb;
  CountingCommunicator plain_comm, reduced_comm;
  unsetenv("CHROMATUNE_REDUCE_ONE_RANK");
  const torch::Tensor plain = Train(&plain_comm, pb, Sgd(5, 8), nullptr);
  EXPECT_EQ(plain_comm.reductions, 0);
  setenv("CHROMATUNE_REDUCE_ONE_RANK", "1", 1);
  const torch::Tensor reduced = Train(&reduced_comm, pb, Sgd(5, 8), nullptr);
  unsetenv("CHROMATUNE_REDUCE_ONE_RANK");
  EXPECT_GT(reduced_comm.reductions, 0);
  EXPECT_TRUE(torch::equal(plain, reduced)) << plain << reduced;
}

// CoOp's warm-up: the first warmup_epochs run at warmup_lr (0 here: nothing moves), then the
// schedule, which keeps counting from epoch 0.
TEST(TrainerTest, WarmupEpochsRunAtTheWarmupRate) {
  Problem pb;
  LocalCommunicator comm;
  TrainParams all_warmup = Sgd(3, 8);
  all_warmup.warmup_epochs = 3;
  all_warmup.warmup_lr = 0.0;
  EXPECT_TRUE(torch::equal(Train(&comm, pb, all_warmup, nullptr), torch::zeros({3})));
  TrainParams one = Sgd(3, 8);
  one.warmup_epochs = 1;
  one.warmup_lr = 0.0;
  const torch::Tensor warmed = Train(&comm, pb, one, nullptr);
  const torch::Tensor plain = Train(&comm, pb, Sgd(3, 8), nullptr);
  EXPECT_FALSE(torch::equal(warmed, torch::zeros({3})));
  EXPECT_FALSE(torch::equal(warmed, plain));
  // Epochs 2 and 3 at the schedule's rates for epochs 1 and 2 of 3 equal a plain run from
  // the same start over those epochs, so the warmed run is behind the plain one.
  const torch::Tensor target = torch::tensor({0.5f, -1.0f, 2.0f});
  EXPECT_GT((warmed - target).norm().item<double>(), (plain - target).norm().item<double>());
}

TEST(TrainerTest, CancellationStopsWithCancelled) {
  LocalCommunicator comm;
  torch::Tensor w = torch::zeros({1}).requires_grad_(true);
  TrialContext ctx;
  ctx.comm = &comm;
  ctx.cancelled = [] { return true; };
  TrainHooks hooks;
  hooks.loss_sum = [&](const std::vector<int64_t>&) { return w.sum(); };
  auto r = TrainLoop({w}, 4, Sgd(3, 2), 1, ctx, hooks);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(TrainerTest, DivergenceIsAnErrorNamingTheEpoch) {
  LocalCommunicator comm;
  torch::Tensor w = torch::ones({1}).requires_grad_(true);
  TrialContext ctx;
  ctx.comm = &comm;
  TrainHooks hooks;
  hooks.loss_sum = [&](const std::vector<int64_t>&) { return (w * INFINITY).sum(); };
  auto r = TrainLoop({w}, 2, Sgd(2, 2), 1, ctx, hooks);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("epoch 0"), std::string::npos);
}

// One weight pulled towards 1 (loss (w - 1)^2 per example), one rank: for the tests of the
// accuracy curve, where only the evaluate hook's calls matter.
struct OneWeight {
  LocalCommunicator comm;
  torch::Tensor w = torch::zeros({1}).requires_grad_(true);
  TrialContext ctx;
  TrainHooks hooks;
  OneWeight() {
    ctx.comm = &comm;
    hooks.loss_sum = [this](const std::vector<int64_t>& idx) {
      return (w - 1.0).pow(2).sum() * static_cast<double>(idx.size());
    };
  }
  OneWeight(const OneWeight&) = delete;  // the hook and ctx point into the object
  OneWeight& operator=(const OneWeight&) = delete;
};

TEST(TrainerTest, AccuracyCurveAtEvenlySpacedEpochs) {
  OneWeight p;
  TrialContext& ctx = p.ctx;
  TrainHooks& hooks = p.hooks;
  torch::Tensor& w = p.w;
  int evals = 0;
  hooks.evaluate = [&](int64_t) -> Result<double> { return ++evals * 0.1; };
  hooks.eval_items = 10;
  auto r = TrainLoop({w}, 4, Sgd(20, 4), 1, ctx, hooks, /*max_evals=*/4);
  ASSERT_TRUE(r.ok());
  std::vector<int64_t> steps;
  for (const auto& c : r->curves) {
    if (c.name == "accuracy") steps.push_back(c.step);
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{5, 10, 15, 20}));
}

// Curve points cost a prefix of the evaluation set; the final accuracy (the trial's metric)
// is the full set's and is the last evaluation, so what the hook fills describes all items.
TEST(TrainerTest, CurvePointsUseThePrefixAndTheFinalAccuracyAllItems) {
  OneWeight p;
  TrialContext& ctx = p.ctx;
  TrainHooks& hooks = p.hooks;
  torch::Tensor& w = p.w;
  std::vector<int64_t> limits;
  hooks.evaluate = [&](int64_t limit) -> Result<double> {
    limits.push_back(limit);
    return limit == 0 ? 0.9 : 0.1 * static_cast<double>(limits.size());
  };
  hooks.eval_items = 1000;
  hooks.curve_eval_items = 100;
  auto r = TrainLoop({w}, 4, Sgd(4, 4), 1, ctx, hooks, /*max_evals=*/2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(limits, (std::vector<int64_t>{100, 100, 0}));
  ASSERT_TRUE(r->final_accuracy.has_value());
  EXPECT_DOUBLE_EQ(*r->final_accuracy, 0.9);
  std::vector<double> curve;
  for (const auto& c : r->curves) {
    if (c.name == "accuracy") curve.push_back(c.value);
  }
  EXPECT_EQ(curve, (std::vector<double>{0.1, 0.2}));

  // A set no larger than the prefix: the last point is the full evaluation, run once.
  limits.clear();
  hooks.eval_items = 50;
  r = TrainLoop({w}, 4, Sgd(4, 4), 1, ctx, hooks, /*max_evals=*/2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(limits, (std::vector<int64_t>{100, 0}));
  EXPECT_DOUBLE_EQ(*r->final_accuracy, 0.9);
}

}  // namespace
}  // namespace chromatune::methods
