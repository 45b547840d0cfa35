// GPU check and timing for bench/gpu/run.sh (one process, one GPU; NCCL bootstrapped over a
// LocalCommunicator, so no MPI is needed on the GPU machine):
//  1. NcclCommunicator: all-reduce (sync and async) and broadcast on device memory; host
//     memory rejected with kInvalidArgument.
//  2. GradientReducer over NCCL on CUDA parameters: after 5 SGD steps the model equals,
//     bitwise, the same model trained without the reducer (one rank: the average is the
//     gradient itself; cuDNN set to deterministic algorithms for this check).
//  3. Step time of a small CNN (the scale of tiny-clip's image tower) on the GPU, with the
//     reducer, as JSON on stdout ({"check": "ok", "step_ms": ...}); gpu_python_compare.py
//     times the same model in Python.
// Exit status 0 when every check passed.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "experiments/ddp/gradient_reducer.h"
#include "worker/nccl_communicator.h"

namespace chromatune {
namespace {

int failures = 0;

void Expect(bool ok, const char* what) {
  std::fprintf(stderr, "%s: %s\n", ok ? "PASS" : "FAIL", what);
  if (!ok) ++failures;
}

torch::nn::Sequential Cnn(uint64_t seed) {
  torch::manual_seed(seed);
  namespace nn = torch::nn;
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, 16, 3).padding(1)), nn::GELU(),
                        nn::Conv2d(nn::Conv2dOptions(16, 32, 3).stride(2).padding(1)), nn::GELU(),
                        nn::Conv2d(nn::Conv2dOptions(32, 64, 3).stride(2).padding(1)), nn::GELU(),
                        nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(64, 10));
}

void CheckCommunicator(NcclCommunicator& comm, const torch::Device& device) {
  torch::Tensor t = torch::arange(1000, torch::TensorOptions(torch::kFloat32).device(device));
  const torch::Tensor expected = t.clone();
  Expect(comm.AllReduceSum(t.data_ptr<float>(), t.numel()).ok() && torch::equal(t, expected),
         "NCCL all-reduce over one rank is the identity");
  auto handle = comm.AllReduceSumAsync(t.data_ptr<float>(), t.numel());
  Expect(handle->Wait().ok() && torch::equal(t, expected), "NCCL async all-reduce");
  Expect(comm.Broadcast(t.data_ptr(), t.numel() * 4, 0).ok() && torch::equal(t, expected),
         "NCCL broadcast");
  Expect(comm.Barrier().ok(), "NCCL barrier");
  std::vector<float> host(10, 1.0f);
  Status s = comm.AllReduceSum(host.data(), host.size());
  Expect(s.code() == StatusCode::kInvalidArgument, "host memory rejected");
  Expect(comm.Broadcast(host.data(), 4, 1).code() == StatusCode::kInvalidArgument,
         "root outside the group rejected");
}

// cuDNN may choose convolution algorithms that accumulate with atomics, so two identical
// models could differ by rounding whatever the reducer does: deterministic algorithms for
// the bitwise check only (the timing keeps cuDNN's default, as Python does).
class DeterministicCudnn {
 public:
  DeterministicCudnn() : before_(at::globalContext().deterministicCuDNN()) {
    at::globalContext().setDeterministicCuDNN(true);
  }
  ~DeterministicCudnn() { at::globalContext().setDeterministicCuDNN(before_); }

 private:
  bool before_;
};

void CheckReducer(NcclCommunicator& comm, const torch::Device& device) {
  DeterministicCudnn deterministic;
  auto a = Cnn(1);
  auto b = Cnn(1);
  a->to(device);
  b->to(device);
  auto reducer = ddp::GradientReducer::Create(a->parameters(), &comm);
  Expect(reducer.ok(), "GradientReducer over NCCL created");
  if (!reducer.ok()) {
    std::fprintf(stderr, "%s\n", reducer.status().ToString().c_str());
    return;
  }
  torch::optim::SGD oa(a->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  torch::optim::SGD ob(b->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  torch::manual_seed(7);
  bool finished = true;
  for (int step = 0; step < 5; ++step) {
    torch::Tensor x = torch::rand({32, 3, 56, 56}, device);
    torch::Tensor y =
        torch::randint(0, 10, {32}, torch::TensorOptions(torch::kLong).device(device));
    oa.zero_grad();
    ob.zero_grad();
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    finished &= reducer.value()->Finish().ok();
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    oa.step();
    ob.step();
  }
  Expect(finished, "Finish() ok on every step");
  Expect(
      reducer.value()->last_step().launched_in_backward == reducer.value()->plan().buckets.size(),
      "every bucket launched from a hook during backward");
  bool same = true;
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) same &= torch::equal(pa[i], pb[i]);
  Expect(same, "one-rank NCCL DDP training equals plain training bitwise");
}

double StepMillis(NcclCommunicator& comm, const torch::Device& device, int steps) {
  auto model = Cnn(3);
  model->to(device);
  auto reducer = ddp::GradientReducer::Create(model->parameters(), &comm);
  if (!reducer.ok()) return -1;
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  torch::Tensor x = torch::rand({128, 3, 56, 56}, device);
  torch::Tensor y = torch::randint(0, 10, {128}, torch::TensorOptions(torch::kLong).device(device));
  auto step = [&] {
    opt.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    if (!reducer.value()->Finish().ok()) ++failures;
    opt.step();
  };
  for (int i = 0; i < 10; ++i) step();
  torch::cuda::synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  torch::cuda::synchronize();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
         steps;
}

int Main() {
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "FAIL: LibTorch sees no CUDA device\n");
    return 1;
  }
  const torch::Device device(torch::kCUDA, 0);
  LocalCommunicator bootstrap;
  auto comm = NcclCommunicator::Create(bootstrap, 0);
  Expect(comm.ok(), "NcclCommunicator created (unique id over the bootstrap)");
  if (!comm.ok()) {
    std::fprintf(stderr, "%s\n", comm.status().ToString().c_str());
    return 1;
  }
  Expect(
      NcclCommunicator::Create(bootstrap, 1 << 20).status().code() == StatusCode::kInvalidArgument,
      "a device that does not exist is rejected");
  CheckCommunicator(*comm.value(), device);
  CheckReducer(*comm.value(), device);
  const int steps = 200;
  const double ms = StepMillis(*comm.value(), device, steps);
  std::printf(
      "{\"check\": \"%s\", \"failures\": %d, \"model\": \"cnn16-32-64 56x56 batch 128\", "
      "\"steps\": %d, \"step_ms\": %.3f}\n",
      failures == 0 ? "ok" : "failed", failures, steps, ms);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace chromatune

int main() { return chromatune::Main(); }
