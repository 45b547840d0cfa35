// Pretraining of the builtin backbones on the compositor's caption corpus (datasets/).
//
//   tiny-clip:   symmetric InfoNCE (CLIP) over each batch; texts equal to each other count
//                as positives of each other's images (soft targets), so a repeated caption
//                is not a false negative. The compositor puts hard-negative pairs (same
//                scene, block on different items, own captions) in every batch.
//   tiny-fusion: MLM on the [MASK]ed words of matching captions (the block colour word is
//                masked half of the time, so "... is in [MASK] color" is learnt) plus image-
//                text matching against the hard-negative partner's caption (or a random one).
// AdamW (no decay on gains, biases, embeddings), linear warm-up then cosine to zero.
//
// Data parallel: every rank of `comm` calls Pretrain with the same spec; rank r takes an
// even-aligned slice of each global batch (pairs stay whole), computes the loss over its
// slice, and gradients are averaged over ranks after backward (flat AllReduceSum, or
// `sync_gradients` when given: the bucketed hook version of experiments/ddp/). The
// contrastive loss is over the local slice, so R ranks do not reproduce 1 rank exactly.
// Parameters start identical on all ranks because init is seeded by spec.seed.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "common/communicator.h"
#include "common/status.h"
#include "experiments/models/backbone.h"
#include "experiments/models/pretrain_spec.h"

namespace chromatune::models {

struct PretrainOptions {
  Communicator* comm = nullptr;  // nullptr: single process
  ProgressFn progress;           // rank 0, every ~2% of the steps
  // Polled between steps; true stops with kCancelled.
  std::function<bool()> cancelled;
  // Replaces the flat gradient all-reduce (called after backward on every rank when
  // comm->size() > 1, with the parameters whose gradients must be averaged).
  std::function<Status(const std::vector<torch::Tensor>& params)> sync_gradients;
  // Fashion-MNIST directory ("" = default).
  std::string fashion_dir;
  // Where the steps compute: a resolved device, "cpu" or "cuda:N" (DeviceChoice::str(),
  // device_choice.h). The model is built on the CPU (so its seeded init is the same
  // everywhere), moved there for training and returned on the CPU again, so checkpoints and
  // callers see CPU tensors whatever the device; batches are composed on the CPU and moved.
  std::string device = "cpu";
};

struct PretrainStats {
  std::vector<double> losses;  // per step (rank 0's local loss)
  double seconds = 0;          // wall time of the training loop
  double steps_per_second = 0;
};

struct PretrainedModel {
  std::shared_ptr<VisionLanguageModel> dual;  // kind tiny-clip
  std::shared_ptr<FusionModel> fusion;        // kind tiny-fusion
  PretrainStats stats;
};

// Builds a fresh model of spec.kind (seeded by spec.seed) and trains it for spec.steps on
// options.device. Sets torch's intra-op threads to spec.threads. Errors: invalid spec, data
// loading, a failed collective, cancellation, a device LibTorch cannot use.
Result<PretrainedModel> Pretrain(const PretrainSpec& spec, const PretrainOptions& options);

// A new untrained model of the spec (init seeded by spec.seed), with the builtin tokenizer.
Result<PretrainedModel> BuildModel(const PretrainSpec& spec);

// The learning rate at `step` (0-based): linear warm-up over warmup_steps, cosine to 0 at
// `steps`.
double ScheduledLr(const PretrainSpec& spec, int64_t step);

// The flat all-reduce average of the gradients of `params` over comm (no-op for size 1).
// Gradients on a GPU are reduced through a host copy unless comm is NCCL (MPI reduces host
// memory only: worker/mpi_communicator.h).
Status AverageGradients(const std::vector<torch::Tensor>& params, Communicator* comm);

}  // namespace chromatune::models
