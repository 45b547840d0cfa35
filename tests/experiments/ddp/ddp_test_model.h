// A small model, data and training loops shared by the data-parallel tests (thread ranks in
// ddp_test, MPI ranks in ddp_mpi_test): the same SGD steps on one process with the global
// batch, or on R ranks with one shard each.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/ddp/gradient_reducer.h"
#include "experiments/ddp/sync_allreduce.h"
#include "experiments/ddp/tensor_sync.h"

namespace chromatune::ddp::testing {

struct TrainConfig {
  int steps = 5;
  int64_t global_batch = 24;  // divisible by 1, 2, 3 and 4 ranks
  double lr = 0.1;
  double momentum = 0.9;
  size_t bucket_bytes = 4096;  // several buckets for this model
  bool overlap = true;
  bool use_reducer = true;  // false: the synchronous fallback AllReduceGradients
  bool find_unused_parameters = false;
};

// MLP 16 -> 32 -> 32 -> 5 with tanh; parameters are drawn from `seed`. Not thread-safe
// (uses the global generator): build models before starting rank threads.
inline torch::nn::Sequential MakeModel(uint64_t seed) {
  torch::manual_seed(seed);
  return torch::nn::Sequential(torch::nn::Linear(16, 32), torch::nn::Tanh(),
                               torch::nn::Linear(32, 32), torch::nn::Tanh(),
                               torch::nn::Linear(32, 5));
}

struct Batch {
  torch::Tensor x;  // [B, 16]
  torch::Tensor y;  // [B] class indices in 0..4
};

// One global batch per step, drawn from a fixed seed (same on every process).
inline std::vector<Batch> MakeBatches(const TrainConfig& config) {
  torch::manual_seed(1234);
  std::vector<Batch> batches;
  for (int s = 0; s < config.steps; ++s) {
    batches.push_back({torch::randn({config.global_batch, 16}),
                       torch::randint(0, 5, {config.global_batch}, torch::kLong)});
  }
  return batches;
}

inline torch::Tensor Loss(torch::nn::Sequential& model, const torch::Tensor& x,
                          const torch::Tensor& y) {
  return torch::nn::functional::cross_entropy(model->forward(x), y);
}

// Single process, global batch: the reference.
inline void TrainSingle(torch::nn::Sequential model, const std::vector<Batch>& batches,
                        const TrainConfig& config) {
  torch::optim::SGD opt(model->parameters(),
                        torch::optim::SGDOptions(config.lr).momentum(config.momentum));
  for (const Batch& b : batches) {
    opt.zero_grad();
    Loss(model, b.x, b.y).backward();
    opt.step();
  }
}

// This rank's shard of every global batch; gradients averaged over `comm`. `stats` gets the
// reducer's last step (when the reducer is used).
inline Status TrainDataParallel(torch::nn::Sequential model, const std::vector<Batch>& batches,
                                const TrainConfig& config, Communicator* comm,
                                ReducerStepStats* stats = nullptr) {
  std::unique_ptr<GradientReducer> reducer;
  if (config.use_reducer) {
    ReducerOptions options;
    options.bucket_bytes = config.bucket_bytes;
    options.overlap = config.overlap;
    options.find_unused_parameters = config.find_unused_parameters;
    CT_ASSIGN_OR_RETURN(reducer, GradientReducer::Create(model->parameters(), comm, options));
  } else {
    CT_RETURN_IF_ERROR(BroadcastTensors(model->parameters(), comm, 0));
  }
  torch::optim::SGD opt(model->parameters(),
                        torch::optim::SGDOptions(config.lr).momentum(config.momentum));
  const int64_t shard = config.global_batch / comm->size();
  for (const Batch& b : batches) {
    opt.zero_grad();
    const int64_t start = shard * comm->rank();
    Loss(model, b.x.narrow(0, start, shard), b.y.narrow(0, start, shard)).backward();
    if (reducer) {
      CT_RETURN_IF_ERROR(reducer->Finish());
    } else {
      CT_RETURN_IF_ERROR(AllReduceGradients(model->parameters(), comm, config.bucket_bytes));
    }
    opt.step();
  }
  if (reducer && stats) *stats = reducer->last_step();
  return Status::Ok();
}

inline double MaxAbsDiff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  }
  return worst;
}

}  // namespace chromatune::ddp::testing
