#include "experiments/ddp/tensor_sync.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/experiments/ddp/thread_communicator.h"

namespace chromatune::ddp {
namespace {

using testing::ThreadGroup;

TEST(TensorSyncTest, BroadcastMakesEveryRankEqualToRoot) {
  std::vector<std::vector<torch::Tensor>> tensors(3);
  for (int r = 0; r < 3; ++r)
    tensors[r] = {torch::full({5}, r + 1.0f), torch::full({2, 2}, -1.0f * r)};
  ThreadGroup::Run(3, [&](Communicator& comm) {
    ASSERT_TRUE(BroadcastTensors(tensors[comm.rank()], &comm, /*root=*/2).ok());
  });
  for (int r = 0; r < 3; ++r) {
    EXPECT_TRUE(torch::equal(tensors[r][0], torch::full({5}, 3.0f)));
    EXPECT_TRUE(torch::equal(tensors[r][1], torch::full({2, 2}, -2.0f)));
  }
}

TEST(TensorSyncTest, VerifyReplicasNamesTheFirstDifferingTensor) {
  std::vector<Status> results(3);
  ThreadGroup::Run(3, [&](Communicator& comm) {
    std::vector<torch::Tensor> mine = {torch::ones({4}), torch::ones({3}), torch::ones({2})};
    if (comm.rank() == 2) mine[1][2] = std::nextafter(1.0f, 2.0f);  // one ulp
    results[comm.rank()] = VerifyReplicas(mine, &comm);
  });
  for (const Status& s : results) {
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("tensor 1 differs from rank 0 on 1 of 3 ranks"), std::string::npos)
        << s.message();
  }
}

TEST(TensorSyncTest, VerifyReplicasComparesBitsNotValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<Status> same(2);
  std::vector<Status> signed_zero(2);
  ThreadGroup::Run(2, [&](Communicator& comm) {
    same[comm.rank()] = VerifyReplicas({torch::full({3}, nan)}, &comm);
    // -0 == 0 as values, but the bits differ.
    signed_zero[comm.rank()] =
        VerifyReplicas({torch::full({1}, comm.rank() == 0 ? 0.0f : -0.0f)}, &comm);
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(same[r].ok()) << same[r].ToString();
    EXPECT_FALSE(signed_zero[r].ok());
  }
}

TEST(TensorSyncTest, MpiRejectsNonCpuAndOthersRejectBadTensors) {
  EXPECT_TRUE(CheckReducibleTensors({}, "mpi").ok());
  EXPECT_TRUE(CheckReducibleTensors({torch::zeros({2})}, "mpi").ok());
  Status s = CheckReducibleTensors({torch::zeros({2})}, "nccl");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nccl communicator reduces CUDA memory"), std::string::npos);
  EXPECT_FALSE(CheckReducibleTensors({torch::Tensor()}, "local").ok());
}

}  // namespace
}  // namespace chromatune::ddp
