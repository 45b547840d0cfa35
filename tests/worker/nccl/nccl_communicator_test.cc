// NcclCommunicator tests, built only with ct_nccl (tests/worker/mpi.cmake); one process on
// device 0, NCCL bootstrapped over a LocalCommunicator. The GPU run with LibTorch tensors
// and the reducer is bench/gpu/gpu_ddp_check.cc.
#include "worker/nccl_communicator.h"

#include <gtest/gtest.h>

#include <vector>

namespace chromatune {
namespace {

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
      GTEST_SKIP() << "no CUDA device on this machine";
    }
    auto comm = NcclCommunicator::Create(bootstrap_, 0);
    ASSERT_TRUE(comm.ok()) << comm.status().ToString();
    comm_ = std::move(comm).value();
    ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&device_), kCount * sizeof(float)), cudaSuccess);
  }
  void TearDown() override {
    if (device_ != nullptr) cudaFree(device_);
  }

  void Upload(const std::vector<float>& v) {
    ASSERT_EQ(cudaMemcpy(device_, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  std::vector<float> Download() {
    std::vector<float> v(kCount);
    EXPECT_EQ(cudaMemcpy(v.data(), device_, kCount * sizeof(float), cudaMemcpyDeviceToHost),
              cudaSuccess);
    return v;
  }

  static constexpr size_t kCount = 4096;
  LocalCommunicator bootstrap_;
  std::unique_ptr<NcclCommunicator> comm_;
  float* device_ = nullptr;
};

TEST_F(NcclCommunicatorTest, OneRankGroup) {
  EXPECT_EQ(comm_->rank(), 0);
  EXPECT_EQ(comm_->size(), 1);
  EXPECT_EQ(comm_->backend(), "nccl");
  EXPECT_EQ(comm_->device(), 0);
}

TEST_F(NcclCommunicatorTest, AllReduceOfOneRankKeepsValues) {
  std::vector<float> v(kCount);
  for (size_t i = 0; i < kCount; ++i) v[i] = static_cast<float>(i) * 0.5f;
  Upload(v);
  ASSERT_TRUE(comm_->AllReduceSum(device_, kCount).ok());
  EXPECT_EQ(Download(), v);
  auto handle = comm_->AllReduceSumAsync(device_, kCount);
  ASSERT_TRUE(handle->Wait().ok());
  EXPECT_TRUE(handle->Wait().ok());
  EXPECT_EQ(Download(), v);
}

TEST_F(NcclCommunicatorTest, BroadcastAndBarrier) {
  Upload(std::vector<float>(kCount, 3.0f));
  ASSERT_TRUE(comm_->Broadcast(device_, kCount * sizeof(float), 0).ok());
  EXPECT_EQ(Download(), std::vector<float>(kCount, 3.0f));
  EXPECT_TRUE(comm_->Barrier().ok());
}

TEST_F(NcclCommunicatorTest, RejectsHostMemoryAndBadRoots) {
  std::vector<float> host(8, 1.0f);
  Status s = comm_->AllReduceSum(host.data(), host.size());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("host memory"), std::string::npos) << s.message();
  EXPECT_EQ(comm_->AllReduceSumAsync(host.data(), host.size())->Wait().code(),
            StatusCode::kInvalidArgument);
  std::string text = "spec";
  EXPECT_EQ(comm_->BroadcastString(&text, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(comm_->Broadcast(device_, 4, 1).code(), StatusCode::kInvalidArgument);
}

TEST_F(NcclCommunicatorTest, RejectsMissingDevice) {
  auto bad = NcclCommunicator::Create(bootstrap_, 1 << 20);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace chromatune
