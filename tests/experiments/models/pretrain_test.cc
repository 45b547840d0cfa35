#include "experiments/models/pretrain.h"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>

#include "tests/experiments/methods/thread_communicator.h"
#include "tests/experiments/models/tiny_spec.h"

namespace chromatune::models {
namespace {

double Mean(const std::vector<double>& v, size_t from, size_t to) {
  return std::accumulate(v.begin() + from, v.begin() + to, 0.0) / (to - from);
}

TEST(PretrainTest, ClipLossDecreases) {
  PretrainSpec spec = testing::TinySpec();
  spec.steps = 24;
  spec.batch_size = 16;
  std::vector<double> fractions;
  PretrainOptions options;
  options.progress = [&](double f, const std::string&) { fractions.push_back(f); };
  auto model = Pretrain(spec, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_TRUE(model->dual);
  ASSERT_EQ(model->stats.losses.size(), 24u);
  EXPECT_LT(Mean(model->stats.losses, 20, 24), Mean(model->stats.losses, 0, 4));
  ASSERT_FALSE(fractions.empty());
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
}

TEST(PretrainTest, FusionLossDecreases) {
  PretrainSpec spec = testing::TinySpec("tiny-fusion");
  spec.steps = 24;
  spec.batch_size = 16;
  auto model = Pretrain(spec, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_TRUE(model->fusion);
  EXPECT_LT(Mean(model->stats.losses, 20, 24), Mean(model->stats.losses, 0, 4));
}

TEST(PretrainTest, SameSpecSameWeights) {
  PretrainSpec spec = testing::TinySpec();
  auto a = Pretrain(spec, {});
  auto b = Pretrain(spec, {});
  ASSERT_TRUE(a.ok() && b.ok());
  auto pa = a->dual->parameters(), pb = b->dual->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

// Pretraining on a device (issue 16): "cpu" is the plain path, bit for bit; a device this
// LibTorch cannot use is an error naming it, never a crash or a silent CPU run. (The GPU run
// itself is bench/gpu/run.sh's.)
TEST(PretrainTest, DeviceCpuIsThePlainPathAndAnUnusableDeviceIsNamed) {
  PretrainSpec spec = testing::TinySpec();
  auto plain = Pretrain(spec, {});
  PretrainOptions on_cpu;
  on_cpu.device = "cpu";
  auto cpu = Pretrain(spec, on_cpu);
  ASSERT_TRUE(plain.ok() && cpu.ok());
  EXPECT_EQ(plain->stats.losses, cpu->stats.losses);
  auto pa = plain->dual->parameters(), pb = cpu->dual->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
  PretrainOptions bad;
  bad.device = "gpu7";
  auto r = Pretrain(spec, bad);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("\"gpu7\""), std::string::npos) << r.status().ToString();
  if (!torch::cuda::is_available()) {
    bad.device = "cuda:0";
    r = Pretrain(spec, bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("\"cuda:0\""), std::string::npos) << r.status().ToString();
  }
}

TEST(PretrainTest, CancelledStops) {
  PretrainOptions options;
  options.cancelled = [] { return true; };
  EXPECT_EQ(Pretrain(testing::TinySpec(), options).status().code(), StatusCode::kCancelled);
}

TEST(PretrainTest, InvalidSpecIsRejected) {
  PretrainSpec spec = testing::TinySpec();
  spec.kind = "tiny-vit";
  EXPECT_EQ(Pretrain(spec, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(PretrainTest, ScheduleWarmsUpThenDecaysToZero) {
  PretrainSpec spec;
  spec.lr = 1.0;
  spec.steps = 110;
  spec.warmup_steps = 10;
  EXPECT_DOUBLE_EQ(ScheduledLr(spec, 0), 0.1);
  EXPECT_DOUBLE_EQ(ScheduledLr(spec, 9), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(spec, 10), 1.0);
  EXPECT_NEAR(ScheduledLr(spec, 60), 0.5, 1e-12);
  EXPECT_NEAR(ScheduledLr(spec, 110), 0.0, 1e-12);
}

// A 2-rank communicator seen from one rank: the other rank's gradients are `other`.
class FakePeer final : public Communicator {
 public:
  explicit FakePeer(std::vector<float> other) : other_(std::move(other)) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string backend() const override { return "fake"; }
  Status AllReduceSum(float* data, size_t count) override {
    if (count != other_.size()) return Internal("size mismatch");
    for (size_t i = 0; i < count; ++i) data[i] += other_[i];
    return Status::Ok();
  }
  std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float*, size_t) override { return nullptr; }
  Status Broadcast(void*, size_t, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }

 private:
  std::vector<float> other_;
};

TEST(PretrainTest, AverageGradientsAveragesOverRanks) {
  auto a = torch::zeros({2}, torch::requires_grad());
  auto b = torch::zeros({1, 2}, torch::requires_grad());
  a.mutable_grad() = torch::tensor({1.0f, 2.0f});
  // b has no gradient on this rank (unused parameter): it counts as zeros.
  FakePeer peer({3.0f, 4.0f, 10.0f, 20.0f});
  ASSERT_TRUE(AverageGradients({a, b}, &peer).ok());
  EXPECT_TRUE(torch::allclose(a.grad(), torch::tensor({2.0f, 3.0f})));
  EXPECT_TRUE(torch::allclose(b.grad(), torch::tensor({{5.0f, 10.0f}})));
}

std::vector<torch::Tensor> Parameters(const PretrainedModel& m) {
  return m.dual ? m.dual->parameters() : m.fusion->parameters();
}

// Pretraining over 2 ranks trains the 1-rank model up to floating point (issue 20 item 7):
// the contrastive loss sees the global batch (gathered features), the fusion loss's masks and
// negatives do not depend on the rank, and each loss is a mean over the global batch.
TEST(PretrainTest, TwoRanksTrainTheOneRankModel) {
  for (const std::string kind : {"tiny-clip", "tiny-fusion"}) {
    PretrainSpec spec = testing::TinySpec(kind);
    spec.steps = 4;
    auto one = Pretrain(spec, {});
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    methods::ThreadGroup group(2);
    std::vector<Result<PretrainedModel>> two(2, Internal("not run"));
    std::vector<std::thread> ranks;
    for (int r = 0; r < 2; ++r) {
      ranks.emplace_back([&, r] {
        methods::ThreadCommunicator comm(&group, r);
        PretrainOptions options;
        options.comm = &comm;
        two[r] = Pretrain(spec, options);
      });
    }
    for (auto& t : ranks) t.join();
    for (int r = 0; r < 2; ++r) ASSERT_TRUE(two[r].ok()) << two[r].status().ToString();
    for (size_t s = 0; s < one->stats.losses.size(); ++s) {
      EXPECT_NEAR(two[0]->stats.losses[s], one->stats.losses[s], 1e-5) << kind << " step " << s;
      EXPECT_EQ(two[1]->stats.losses[s], two[0]->stats.losses[s]) << kind << " step " << s;
    }
    const auto a = Parameters(*one), b = Parameters(*two[0]), c = Parameters(*two[1]);
    ASSERT_EQ(a.size(), b.size());
    // Parameters agree up to floating point, except where the gradient is zero in exact
    // arithmetic: attention's key bias (softmax ignores a constant added to every score).
    // There the gradient is rounding noise of either sign, and AdamW's first steps move a
    // parameter by ~lr whatever the gradient's size, so those elements differ by up to 2 lr
    // per step. They are a few dozen of thousands; a loss over each rank's slice (other
    // negatives, other masks) moves most elements apart.
    int64_t elements = 0, apart = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(b[i], c[i])) << kind << " parameter " << i << ": ranks differ";
      const auto diff = (a[i] - b[i]).abs();
      elements += diff.numel();
      apart += (diff > 1e-5).sum().item<int64_t>();
      EXPECT_LT(diff.max().item<double>(), 2 * spec.lr * spec.steps) << kind << " parameter " << i;
    }
    EXPECT_LT(apart, elements / 100)
        << kind << ": " << apart << " of " << elements << " elements differ by more than 1e-5";
  }
}

}  // namespace
}  // namespace chromatune::models
