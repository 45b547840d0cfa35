// GradientReducer on thread ranks (tests/experiments/ddp/thread_communicator.h) and on the
// one-rank LocalCommunicator. The same equivalence under mpirun: mpi/equivalence_test.cc.
#include "experiments/ddp/gradient_reducer.h"

#include <gtest/gtest.h>

#include <atomic>

#include "experiments/ddp/tensor_sync.h"
#include "tests/experiments/ddp/ddp_test_model.h"
#include "tests/experiments/ddp/thread_communicator.h"

namespace chromatune::ddp {
namespace {

using testing::Batch;
using testing::MakeBatches;
using testing::MakeModel;
using testing::MaxAbsDiff;
using testing::ThreadGroup;
using testing::TrainConfig;

class GradientReducerTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

TEST_F(GradientReducerTest, OneRankGivesExactlyTheLocalGradients) {
  LocalCommunicator comm;
  auto model = MakeModel(7);
  auto reference = MakeModel(7);
  const auto batches = MakeBatches(TrainConfig());
  auto reducer = GradientReducer::Create(model->parameters(), &comm);
  ASSERT_TRUE(reducer.ok()) << reducer.status().ToString();
  testing::Loss(model, batches[0].x, batches[0].y).backward();
  ASSERT_TRUE(reducer.value()->Finish().ok());
  testing::Loss(reference, batches[0].x, batches[0].y).backward();
  const auto p = model->parameters();
  const auto q = reference->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(torch::equal(p[i].grad(), q[i].grad())) << i;
}

// R ranks with shards equal one process with the global batch; ranks agree bitwise.
void ExpectEquivalent(int ranks, TrainConfig config) {
  const auto batches = MakeBatches(config);
  auto reference = MakeModel(11);
  testing::TrainSingle(reference, batches, config);
  std::vector<torch::nn::Sequential> models;
  // Ranks start from different values: Create's broadcast from rank 0 must equalise them.
  for (int r = 0; r < ranks; ++r) models.push_back(MakeModel(r == 0 ? 11 : 100 + r));
  std::vector<double> diffs(ranks);
  std::vector<ReducerStepStats> stats(ranks);
  std::atomic<int> failures{0};
  ThreadGroup::Run(ranks, [&](Communicator& comm) {
    const int r = comm.rank();
    Status s = testing::TrainDataParallel(models[r], batches, config, &comm, &stats[r]);
    if (s.ok()) s = VerifyReplicas(models[r]->parameters(), &comm);
    if (!s.ok()) {
      ADD_FAILURE() << "rank " << r << ": " << s.ToString();
      ++failures;
    }
    diffs[r] = MaxAbsDiff(models[r]->parameters(), reference->parameters());
  });
  ASSERT_EQ(failures.load(), 0);
  for (int r = 0; r < ranks; ++r) {
    EXPECT_LT(diffs[r], 1e-5) << "rank " << r;
    EXPECT_EQ(diffs[r], diffs[0]);  // bitwise replicas, so the same distance
  }
  // The models moved: the comparison is not between untouched initialisations.
  EXPECT_GT(MaxAbsDiff(reference->parameters(), MakeModel(11)->parameters()), 1e-3);
  if (config.use_reducer) {
    EXPECT_GT(stats[0].buckets, 1u);
    EXPECT_EQ(stats[0].launched_in_backward, config.overlap ? stats[0].buckets : 0u);
  }
}

TEST_F(GradientReducerTest, TwoRanksMatchOneRankOnTheGlobalBatch) { ExpectEquivalent(2, {}); }

TEST_F(GradientReducerTest, ThreeAndFourRanksMatchToo) {
  ExpectEquivalent(3, {});
  ExpectEquivalent(4, {});
}

TEST_F(GradientReducerTest, WithoutOverlapTheResultIsTheSame) {
  TrainConfig config;
  config.overlap = false;
  ExpectEquivalent(2, config);
}

TEST_F(GradientReducerTest, OneBucketPerParameterAndOneForAll) {
  TrainConfig config;
  config.bucket_bytes = 0;
  ExpectEquivalent(2, config);
  config.bucket_bytes = kDefaultBucketBytes;
  const auto batches = MakeBatches(config);
  auto model = MakeModel(3);
  LocalCommunicator comm;
  auto reducer = GradientReducer::Create(model->parameters(), &comm);
  ASSERT_TRUE(reducer.ok());
  EXPECT_EQ(reducer.value()->plan().buckets.size(), 1u);
}

TEST_F(GradientReducerTest, SynchronousFallbackMatchesToo) {
  TrainConfig config;
  config.use_reducer = false;
  ExpectEquivalent(2, config);
}

// Rank 0 uses branch A, rank 1 branch B; branch C is used by nobody.
struct Branchy : torch::nn::Module {
  Branchy() {
    torch::manual_seed(5);
    trunk = register_module("trunk", torch::nn::Linear(4, 4));
    a = register_module("a", torch::nn::Linear(4, 1));
    b = register_module("b", torch::nn::Linear(4, 1));
    c = register_module("c", torch::nn::Linear(4, 1));
  }
  torch::Tensor forward(const torch::Tensor& x, int rank) {
    auto h = torch::tanh(trunk->forward(x));
    return (rank == 0 ? a->forward(h) : b->forward(h)).sum();
  }
  torch::nn::Linear trunk{nullptr}, a{nullptr}, b{nullptr}, c{nullptr};
};

void RunUnused(bool find_unused, std::vector<std::shared_ptr<Branchy>>& nets,
               std::vector<ReducerStepStats>& stats) {
  const torch::Tensor x = torch::ones({2, 4});
  for (int r = 0; r < 2; ++r) nets.push_back(std::make_shared<Branchy>());
  stats.resize(2);
  ThreadGroup::Run(2, [&](Communicator& comm) {
    const int r = comm.rank();
    ReducerOptions options;
    options.bucket_bytes = 0;
    options.find_unused_parameters = find_unused;
    auto reducer = GradientReducer::Create(nets[r]->parameters(), &comm, options);
    ASSERT_TRUE(reducer.ok());
    nets[r]->forward(x, r).backward();
    ASSERT_TRUE(reducer.value()->Finish().ok());
    stats[r] = reducer.value()->last_step();
  });
}

TEST_F(GradientReducerTest, UnusedParametersAreZeroFilledByDefault) {
  std::vector<std::shared_ptr<Branchy>> nets;
  std::vector<ReducerStepStats> stats;
  RunUnused(false, nets, stats);
  EXPECT_EQ(stats[0].unused_on_this_rank, 4u);  // weight and bias of b and c
  for (auto& net : nets) {
    ASSERT_TRUE(net->c->weight.grad().defined());
    EXPECT_EQ(net->c->weight.grad().abs().sum().item<float>(), 0.0f);
    // Branch a: rank 0's gradient over 2 ranks.
    EXPECT_TRUE(torch::equal(net->a->weight.grad(), nets[0]->a->weight.grad()));
    EXPECT_GT(net->a->weight.grad().abs().sum().item<float>(), 0.0f);
  }
}

TEST_F(GradientReducerTest, FindUnusedLeavesGloballyUnusedGradientsUntouched) {
  std::vector<std::shared_ptr<Branchy>> nets;
  std::vector<ReducerStepStats> stats;
  RunUnused(true, nets, stats);
  for (auto& net : nets) {
    EXPECT_FALSE(net->c->weight.grad().defined());  // as single-process backward leaves it
    EXPECT_TRUE(net->b->weight.grad().defined());   // used on rank 1, so averaged everywhere
    EXPECT_TRUE(torch::equal(net->b->weight.grad(), nets[1]->b->weight.grad()));
  }
}

TEST_F(GradientReducerTest, SecondBackwardBeforeFinishIsAnError) {
  LocalCommunicator comm;
  auto model = MakeModel(3);
  const auto batches = MakeBatches(TrainConfig());
  auto reducer = GradientReducer::Create(model->parameters(), &comm);
  ASSERT_TRUE(reducer.ok());
  testing::Loss(model, batches[0].x, batches[0].y).backward();
  testing::Loss(model, batches[1].x, batches[1].y).backward();
  Status s = reducer.value()->Finish();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("second gradient"), std::string::npos) << s.message();
  // The reducer is ready for the next step.
  testing::Loss(model, batches[2].x, batches[2].y).backward();
  EXPECT_TRUE(reducer.value()->Finish().ok());
}

TEST_F(GradientReducerTest, FrozenParametersDoNotTakePart) {
  auto model = MakeModel(3);
  auto params = model->parameters();
  params[0].set_requires_grad(false);
  LocalCommunicator comm;
  auto reducer = GradientReducer::Create(params, &comm);
  ASSERT_TRUE(reducer.ok());
  EXPECT_EQ(reducer.value()->params().size(), params.size() - 1);
}

TEST_F(GradientReducerTest, RejectsWhatItCannotReduce) {
  LocalCommunicator comm;
  auto dbl = torch::zeros({3}, torch::kFloat64).requires_grad_();
  auto f = torch::zeros({3}).requires_grad_();
  auto strided = torch::zeros({4, 4}).t().requires_grad_();
  struct Case {
    std::vector<torch::Tensor> params;
    const char* expected;
  };
  for (const Case& c : {Case{{f, dbl}, "tensor 1 has dtype Double"},
                        Case{{strided}, "tensor 0 is not a dense contiguous"},
                        Case{{f, f}, "tensor 1 appears twice"}}) {
    auto reducer = GradientReducer::Create(c.params, &comm);
    ASSERT_FALSE(reducer.ok()) << c.expected;
    EXPECT_EQ(reducer.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(reducer.status().message().find(c.expected), std::string::npos)
        << reducer.status().message();
  }
  EXPECT_FALSE(GradientReducer::Create({f}, nullptr).ok());
}

}  // namespace
}  // namespace chromatune::ddp
