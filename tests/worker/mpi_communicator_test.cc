// MpiCommunicator tests, written for any number of ranks: worker_test runs them as a
// singleton (1 rank); tests/worker/mpi.cmake runs the same file under mpirun with 2 and 3
// ranks. Every rank runs every test in the same order (the tests are collectives).
#include "worker/mpi_communicator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "worker/mpi_env.h"

namespace chromatune {
namespace {

class MpiCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureMpiInitialized().ok());
    auto world = MpiCommunicator::Create(MPI_COMM_WORLD);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    comm_ = std::move(world).value();
  }

  std::unique_ptr<MpiCommunicator> comm_;
};

TEST_F(MpiCommunicatorTest, MatchesWorld) {
  int rank = -1;
  int size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(comm_->rank(), rank);
  EXPECT_EQ(comm_->size(), size);
  EXPECT_EQ(comm_->backend(), "mpi");
  EXPECT_NE(comm_->comm(), MPI_COMM_WORLD);  // a private duplicate
}

TEST_F(MpiCommunicatorTest, AllReduceSumAddsEveryRank) {
  const int n = comm_->size();
  std::vector<float> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) * (comm_->rank() + 1);
  ASSERT_TRUE(comm_->AllReduceSum(data.data(), data.size()).ok());
  const float factor = n * (n + 1) / 2.0f;
  for (size_t i = 0; i < data.size(); ++i) ASSERT_EQ(data[i], static_cast<float>(i) * factor);
}

TEST_F(MpiCommunicatorTest, AllReduceOfNothingIsOk) {
  EXPECT_TRUE(comm_->AllReduceSum(nullptr, 0).ok());
  auto handle = comm_->AllReduceSumAsync(nullptr, 0);
  EXPECT_TRUE(handle->Wait().ok());
}

TEST_F(MpiCommunicatorTest, AsyncAllReducesCompleteInAnyWaitOrder) {
  const int n = comm_->size();
  std::vector<std::vector<float>> buffers(5);
  std::vector<std::unique_ptr<CollectiveHandle>> handles;
  for (size_t b = 0; b < buffers.size(); ++b) {
    buffers[b].assign(100 + 1000 * b, static_cast<float>(b + comm_->rank()));
    handles.push_back(comm_->AllReduceSumAsync(buffers[b].data(), buffers[b].size()));
  }
  for (size_t b = buffers.size(); b-- > 0;) ASSERT_TRUE(handles[b]->Wait().ok());
  for (size_t b = 0; b < buffers.size(); ++b) {
    const float expected = static_cast<float>(n * b + n * (n - 1) / 2);
    for (float v : buffers[b]) ASSERT_EQ(v, expected) << "buffer " << b;
  }
  // A second Wait returns the same status.
  EXPECT_TRUE(handles[0]->Wait().ok());
}

TEST_F(MpiCommunicatorTest, DroppedHandleWaitsForItsCollective) {
  std::vector<float> data(4096, 1.0f);
  comm_->AllReduceSumAsync(data.data(), data.size()).reset();
  for (float v : data) ASSERT_EQ(v, static_cast<float>(comm_->size()));
}

TEST_F(MpiCommunicatorTest, BroadcastFromLastRank) {
  const int root = comm_->size() - 1;
  std::vector<int> data(10, comm_->rank() == root ? 42 : -1);
  ASSERT_TRUE(comm_->Broadcast(data.data(), data.size() * sizeof(int), root).ok());
  for (int v : data) EXPECT_EQ(v, 42);
}

TEST_F(MpiCommunicatorTest, BroadcastStringOfAnyLength) {
  for (size_t len : {size_t{0}, size_t{1}, size_t{100000}}) {
    std::string s = comm_->rank() == 0 ? std::string(len, 'x') : "stale";
    ASSERT_TRUE(comm_->BroadcastString(&s, 0).ok());
    EXPECT_EQ(s, std::string(len, 'x'));
  }
}

TEST_F(MpiCommunicatorTest, BroadcastRejectsRootOutsideGroup) {
  int x = 0;
  Status s = comm_->Broadcast(&x, sizeof(x), comm_->size());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("root " + std::to_string(comm_->size())), std::string::npos);
  EXPECT_EQ(comm_->Broadcast(&x, sizeof(x), -1).code(), StatusCode::kInvalidArgument);
}

TEST_F(MpiCommunicatorTest, BarrierSucceeds) { EXPECT_TRUE(comm_->Barrier().ok()); }

TEST_F(MpiCommunicatorTest, SplitFormsGroupsOrderedByKey) {
  const int color = comm_->rank() % 2;
  auto sub = comm_->Split(color, -comm_->rank());  // reverse order inside each group
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_NE(sub.value(), nullptr);
  std::vector<int> members;
  for (int r = 0; r < comm_->size(); ++r) {
    if (r % 2 == color) members.push_back(r);
  }
  EXPECT_EQ(sub.value()->size(), static_cast<int>(members.size()));
  // Highest world rank first.
  const int expected_rank =
      static_cast<int>(members.size()) - 1 -
      static_cast<int>(std::find(members.begin(), members.end(), comm_->rank()) - members.begin());
  EXPECT_EQ(sub.value()->rank(), expected_rank);
  // Collectives stay inside the group.
  float v = static_cast<float>(comm_->rank());
  ASSERT_TRUE(sub.value()->AllReduceSum(&v, 1).ok());
  EXPECT_EQ(v, static_cast<float>(std::accumulate(members.begin(), members.end(), 0)));
}

TEST_F(MpiCommunicatorTest, SplitWithNoColorLeavesRankOut) {
  const bool out = comm_->rank() == 0;
  auto sub = comm_->Split(out ? MpiCommunicator::kNoColor : 7, comm_->rank());
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  if (out) {
    EXPECT_EQ(sub.value(), nullptr);
  } else {
    ASSERT_NE(sub.value(), nullptr);
    EXPECT_EQ(sub.value()->size(), comm_->size() - 1);
    EXPECT_EQ(sub.value()->rank(), comm_->rank() - 1);
  }
}

TEST_F(MpiCommunicatorTest, SplitRejectsNegativeColor) {
  auto sub = comm_->Split(-5, 0);
  ASSERT_FALSE(sub.ok());
  EXPECT_EQ(sub.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sub.status().message().find("color -5"), std::string::npos);
}

TEST_F(MpiCommunicatorTest, CreateRejectsNullCommunicator) {
  auto bad = MpiCommunicator::Create(MPI_COMM_NULL);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(MpiErrorTextTest, NamesCallAndError) {
  // MPI_Error_string may only be called after MPI_Init (ctest runs each test alone).
  ASSERT_TRUE(EnsureMpiInitialized().ok());
  std::string text = MpiErrorText("MPI_Allreduce", MPI_ERR_COUNT);
  EXPECT_EQ(text.rfind("MPI_Allreduce: ", 0), 0u) << text;
  EXPECT_GT(text.size(), std::string("MPI_Allreduce: ").size());
}

}  // namespace
}  // namespace chromatune
