#include "experiments/ddp/sync_allreduce.h"

#include <gtest/gtest.h>

#include "tests/experiments/ddp/thread_communicator.h"

namespace chromatune::ddp {
namespace {

using testing::ThreadGroup;

TEST(SyncAllReduceTest, AveragesAndDefinesMissingGradients) {
  // Per rank: p has gradient (rank + 1) everywhere; q has a gradient only on rank 1.
  std::vector<torch::Tensor> p(2);
  std::vector<torch::Tensor> q(2);
  std::vector<torch::Tensor> frozen(2);
  for (int r = 0; r < 2; ++r) {
    p[r] = torch::zeros({3, 2}).requires_grad_();
    p[r].mutable_grad() = torch::full({3, 2}, r + 1.0f);
    q[r] = torch::zeros({5}).requires_grad_();
    if (r == 1) q[r].mutable_grad() = torch::full({5}, 4.0f);
    frozen[r] = torch::full({2}, 9.0f);  // no requires_grad: skipped
  }
  ThreadGroup::Run(2, [&](Communicator& comm) {
    const int r = comm.rank();
    ASSERT_TRUE(AllReduceGradients({p[r], frozen[r], q[r]}, &comm, /*bucket_bytes=*/8).ok());
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(torch::equal(p[r].grad(), torch::full({3, 2}, 1.5f)));
    ASSERT_TRUE(q[r].grad().defined());
    EXPECT_TRUE(torch::equal(q[r].grad(), torch::full({5}, 2.0f)));
    EXPECT_FALSE(frozen[r].grad().defined());
  }
}

TEST(SyncAllReduceTest, RejectsDoubleParameters) {
  LocalCommunicator comm;
  auto d = torch::zeros({2}, torch::kFloat64).requires_grad_();
  EXPECT_EQ(AllReduceGradients({d}, &comm).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chromatune::ddp
