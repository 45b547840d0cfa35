// GradientReducer: data-parallel gradient averaging that overlaps communication with
// backward, the recipe of PyTorch DDP's Reducer and Horovod.
//
// Use, on every rank of `comm`, with identical models:
//
//   CT_ASSIGN_OR_RETURN(auto reducer, GradientReducer::Create(model->parameters(), comm));
//   for (each step) {
//     optimizer.zero_grad();
//     loss_on_this_ranks_shard.backward();   // hooks copy grads into buckets and launch
//     CT_RETURN_IF_ERROR(reducer->Finish()); // waits; param.grad() = mean over ranks
//     optimizer.step();
//   }
//
// Create broadcasts the parameters from rank 0 (so every replica starts equal) and
// registers a hook on each parameter (Tensor::register_hook: on a leaf it runs before the
// gradient is accumulated into .grad). The hook copies the gradient into its bucket's flat
// buffer; when every parameter of a bucket has reported, and every earlier bucket has been
// launched, the bucket's asynchronous all-reduce starts while backward goes on. Buckets are
// launched strictly in plan order on every rank, because all ranks must issue the same
// collectives in the same order (MPI, NCCL).
//
// Each rank's loss must be the mean over its own shard; the result equals single-process
// training on the global batch when the shards are equal in size (the mean of means).
//
// Unused parameters (no gradient on this rank in this step): their slots are zero-filled in
// Finish and their buckets launched then. With find_unused_parameters = false (default) every
// parameter ends the step with a defined gradient (zero where no rank used it). With true,
// one extra small all-reduce counts the ranks that used each parameter, and a parameter no
// rank used keeps its .grad untouched, exactly as single-process backward leaves it (so an
// optimizer that skips undefined gradients, or weight decay on zeroed ones, behaves the same).
//
// Gradients are not accumulated across backward passes: Finish replaces .grad with the
// average of this step's gradients (call one backward per Finish). A second gradient for the
// same parameter before Finish is an error reported by Finish.
//
// Threads: hooks run on the thread that executes that part of backward: for CPU tensors the
// thread that called backward() (so MPI sees one thread), for CUDA tensors an autograd
// device thread (NCCL has no thread restriction). Create, Finish and the destructor must be
// called from the training thread, never during backward.
//
// Parameters: float32, dense, contiguous, all on one device (CPU for "mpi", CUDA for "nccl";
// "local" takes either); only those with requires_grad join, the others are ignored.
// Create the reducer after moving the model to its device: the buckets live on the device
// the parameters had at Create.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/ddp/bucket_plan.h"

namespace chromatune::ddp {

struct ReducerOptions {
  size_t bucket_bytes = kDefaultBucketBytes;
  // Launch each bucket from the hooks as soon as it is full (true), or launch all of them
  // in Finish after backward (false: bucketed but not overlapped; for comparison).
  bool overlap = true;
  bool find_unused_parameters = false;
  // Broadcast parameter values from rank 0 in Create (off only when the caller already made
  // the replicas identical, e.g. by loading the same checkpoint everywhere).
  bool broadcast_parameters = true;
};

// What the last Finish saw (for tests and benchmarks).
struct ReducerStepStats {
  size_t buckets = 0;
  size_t launched_in_backward = 0;  // buckets whose all-reduce started from a hook
  size_t unused_on_this_rank = 0;   // parameters that got no gradient here
};

class GradientReducer {
 public:
  // `comm` must outlive the reducer. Errors: kInvalidArgument for unsupported parameters
  // (naming the parameter index), or the communicator's error from the broadcast.
  static Result<std::unique_ptr<GradientReducer>> Create(const std::vector<torch::Tensor>& params,
                                                         Communicator* comm,
                                                         ReducerOptions options = {});
  // Removes the hooks (after waiting for any collective still in flight).
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Completes the step: launches the buckets not launched yet (zero-filling unused slots),
  // waits for all, divides by the number of ranks and writes each parameter's .grad. Always
  // leaves the reducer ready for the next step, even when it returns an error.
  Status Finish();

  const BucketPlan& plan() const { return plan_; }
  const ReducerStepStats& last_step() const { return last_step_; }
  // The parameters taking part (those with requires_grad), in the caller's order.
  const std::vector<torch::Tensor>& params() const { return params_; }

 private:
  GradientReducer(std::vector<torch::Tensor> params, Communicator* comm, ReducerOptions options);
  // The hook body for parameter `index`.
  void OnGradient(size_t index, const torch::Tensor& grad);
  // Launches, in order, every consecutive bucket from next_launch_ that is complete.
  void LaunchReadyBuckets(bool from_hook);
  void Launch(size_t bucket, bool from_hook);
  void ResetStep();

  std::vector<torch::Tensor> params_;
  Communicator* comm_;
  ReducerOptions options_;
  BucketPlan plan_;
  std::vector<torch::Tensor> buffers_;  // one flat float buffer per bucket
  std::vector<torch::Tensor> views_;    // per parameter: its slot in its bucket, param-shaped
  std::vector<unsigned> hook_ids_;

  // Per-step state. Guarded by mu_: CUDA backward may run hooks on more than one device
  // thread (one per device); CPU backward runs them on one thread.
  std::mutex mu_;
  std::vector<bool> ready_;      // per parameter: gradient received this step
  std::vector<size_t> missing_;  // per bucket: parameters still to report
  size_t next_launch_ = 0;       // first bucket not launched yet
  std::vector<std::unique_ptr<CollectiveHandle>> handles_;  // per bucket, when launched
  size_t launched_in_backward_ = 0;
  Status hook_error_;  // first error seen inside a hook
  ReducerStepStats last_step_;
};

}  // namespace chromatune::ddp
