// All-reduce and data-parallel step benchmark, run under mpirun (bench/allreduce/run.sh):
//  1. latency of one blocking MPI all-reduce (MpiCommunicator) per buffer size;
//  2. training step time of an MLP on each rank's shard with: no communication (the compute
//     floor), the synchronous fallback (AllReduceGradients after backward), the bucketed
//     reducer launched after backward (overlap off), and the bucketed reducer launched from
//     autograd hooks (overlap on).
// Prints a markdown table on rank 0. Medians over timed repetitions after warm-up.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "experiments/ddp/gradient_reducer.h"
#include "experiments/ddp/sync_allreduce.h"
#include "experiments/ddp/tensor_sync.h"
#include "worker/mpi_communicator.h"
#include "worker/mpi_env.h"

namespace chromatune {
namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  MpiEnv::Abort(1);
}

// Median microseconds of one blocking all-reduce of `floats` floats.
double AllReduceMicros(MpiCommunicator& comm, size_t floats, int reps) {
  std::vector<float> buffer(floats, 1.0f);
  std::vector<double> times;
  for (int i = 0; i < reps + 5; ++i) {
    Check(comm.Barrier(), "barrier");
    const auto t0 = Clock::now();
    Check(comm.AllReduceSum(buffer.data(), buffer.size()), "all-reduce");
    if (i >= 5) times.push_back(Seconds(t0, Clock::now()) * 1e6);
  }
  return Median(times);
}

enum class Mode { kLocal, kSync, kBucketsAfterBackward, kBucketsOverlapped };

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kLocal:
      return "no communication (compute only)";
    case Mode::kSync:
      return "synchronous fallback (AllReduceGradients)";
    case Mode::kBucketsAfterBackward:
      return "bucketed, launched after backward";
    case Mode::kBucketsOverlapped:
      return "bucketed, overlapped with backward (hooks)";
  }
  return "";
}

// Median seconds per training step.
double StepSeconds(MpiCommunicator& comm, Mode mode, int64_t width, int64_t batch, int steps) {
  torch::manual_seed(0);
  torch::nn::Sequential model(torch::nn::Linear(256, width), torch::nn::ReLU(),
                              torch::nn::Linear(width, width), torch::nn::ReLU(),
                              torch::nn::Linear(width, width), torch::nn::ReLU(),
                              torch::nn::Linear(width, 10));
  std::unique_ptr<ddp::GradientReducer> reducer;
  if (mode == Mode::kBucketsAfterBackward || mode == Mode::kBucketsOverlapped) {
    ddp::ReducerOptions options;
    options.overlap = mode == Mode::kBucketsOverlapped;
    auto created = ddp::GradientReducer::Create(model->parameters(), &comm, options);
    Check(created.status(), "reducer");
    reducer = std::move(created).value();
  }
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01));
  const torch::Tensor x = torch::randn({batch, 256});
  const torch::Tensor y = torch::randint(0, 10, {batch}, torch::kLong);
  std::vector<double> times;
  for (int s = 0; s < steps + 3; ++s) {
    Check(comm.Barrier(), "barrier");
    const auto t0 = Clock::now();
    opt.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    if (reducer) {
      Check(reducer->Finish(), "finish");
    } else if (mode == Mode::kSync) {
      Check(ddp::AllReduceGradients(model->parameters(), &comm), "sync all-reduce");
    }
    opt.step();
    if (s >= 3) times.push_back(Seconds(t0, Clock::now()));
  }
  return Median(times);
}

int Main(int argc, char** argv) {
  auto env_or = MpiEnv::Init(&argc, &argv);
  Check(env_or.status(), "MPI init");
  auto env = std::move(env_or).value();
  {
    auto comm_or = env->World();
    Check(comm_or.status(), "world");
    auto comm = std::move(comm_or).value();
    const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
    torch::set_num_threads(threads);
    const bool root = comm->rank() == 0;
    if (root) {
      std::printf("ranks: %d, torch threads per rank: %d\n\n", comm->size(), threads);
      std::printf("| buffer | floats | MPI all-reduce, median us |\n| --- | --- | --- |\n");
    }
    for (size_t bytes :
         {size_t{4} << 10, size_t{64} << 10, size_t{256} << 10, size_t{1} << 20, size_t{4} << 20}) {
      const int reps = bytes <= (256u << 10) ? 200 : 50;
      const double us = AllReduceMicros(*comm, bytes / sizeof(float), reps);
      if (root) std::printf("| %zu KiB | %zu | %.1f |\n", bytes >> 10, bytes / 4, us);
    }
    const int64_t width = 1024;
    const int64_t batch = 64;
    if (root) {
      std::printf("\nMLP 256-%lld-%lld-%lld-10 (%.2f M parameters), batch %lld per rank\n\n",
                  static_cast<long long>(width), static_cast<long long>(width),
                  static_cast<long long>(width),
                  (256.0 * width + 2.0 * width * width + 10.0 * width + 3 * width + 10) / 1e6,
                  static_cast<long long>(batch));
      std::printf("| gradient averaging | step, median ms |\n| --- | --- |\n");
    }
    for (Mode m :
         {Mode::kLocal, Mode::kSync, Mode::kBucketsAfterBackward, Mode::kBucketsOverlapped}) {
      const double s = StepSeconds(*comm, m, width, batch, 30);
      if (root) std::printf("| %s | %.2f |\n", ModeName(m), s * 1e3);
    }
  }
  return 0;
}

}  // namespace
}  // namespace chromatune

int main(int argc, char** argv) { return chromatune::Main(argc, argv); }
