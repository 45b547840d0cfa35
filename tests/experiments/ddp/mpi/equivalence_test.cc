// THE data-parallel test under mpirun (tests/experiments/ddp.cmake runs it with 2 and 3
// ranks): R MPI ranks training on shards end with the parameters of one process trained on
// the global batch (max abs difference < 1e-5 after several SGD steps with momentum), and
// the ranks agree bitwise. Each rank computes the one-process reference itself.
#include <gtest/gtest.h>

#include "experiments/ddp/tensor_sync.h"
#include "tests/experiments/ddp/ddp_test_model.h"
#include "worker/mpi_communicator.h"
#include "worker/mpi_env.h"

namespace chromatune::ddp {
namespace {

using testing::MakeBatches;
using testing::MakeModel;
using testing::MaxAbsDiff;
using testing::TrainConfig;

class MpiEquivalenceTest : public ::testing::TestWithParam<TrainConfig> {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    ASSERT_TRUE(EnsureMpiInitialized().ok());
    auto world = MpiCommunicator::Create(MPI_COMM_WORLD);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    comm_ = std::move(world).value();
  }
  std::unique_ptr<MpiCommunicator> comm_;
};

TEST_P(MpiEquivalenceTest, RanksMatchOneProcessAndEachOther) {
  const TrainConfig config = GetParam();
  ASSERT_EQ(config.global_batch % comm_->size(), 0);
  const auto batches = MakeBatches(config);
  auto reference = MakeModel(11);
  testing::TrainSingle(reference, batches, config);
  // Other ranks start elsewhere: the initial broadcast from rank 0 must equalise them.
  auto model = MakeModel(comm_->rank() == 0 ? 11 : 100 + comm_->rank());
  ReducerStepStats stats;
  Status s = testing::TrainDataParallel(model, batches, config, comm_.get(), &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const double diff = MaxAbsDiff(model->parameters(), reference->parameters());
  EXPECT_LT(diff, 1e-5) << "rank " << comm_->rank();
  s = VerifyReplicas(model->parameters(), comm_.get());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(MaxAbsDiff(reference->parameters(), MakeModel(11)->parameters()), 1e-3);
  if (config.use_reducer) {
    EXPECT_GT(stats.buckets, 1u);
    EXPECT_EQ(stats.launched_in_backward, config.overlap ? stats.buckets : 0u);
  }
}

TrainConfig Config(bool use_reducer, bool overlap, size_t bucket_bytes) {
  TrainConfig c;
  c.use_reducer = use_reducer;
  c.overlap = overlap;
  c.bucket_bytes = bucket_bytes;
  c.steps = 6;
  return c;
}

INSTANTIATE_TEST_SUITE_P(Variants, MpiEquivalenceTest,
                         ::testing::Values(Config(true, true, 4096), Config(true, false, 4096),
                                           Config(true, true, 0), Config(false, false, 4096)));

// Sub-communicators: the world split into groups of 2 ranks (1 for an odd last rank), each
// training on its own; every group's ranks agree bitwise and match one process.
TEST_F(MpiEquivalenceTest, GroupsFromSplitTrainIndependently) {
  auto group = comm_->Split(comm_->rank() / 2, comm_->rank());
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  TrainConfig config;
  const auto batches = MakeBatches(config);
  auto reference = MakeModel(11);
  testing::TrainSingle(reference, batches, config);
  // Each group's rank 0 holds the reference start; the others start elsewhere.
  auto model = MakeModel(group.value()->rank() == 0 ? 11 : 100 + comm_->rank());
  ASSERT_TRUE(testing::TrainDataParallel(model, batches, config, group.value().get()).ok());
  EXPECT_LT(MaxAbsDiff(model->parameters(), reference->parameters()), 1e-5);
  EXPECT_TRUE(VerifyReplicas(model->parameters(), group.value().get()).ok());
}

}  // namespace
}  // namespace chromatune::ddp
