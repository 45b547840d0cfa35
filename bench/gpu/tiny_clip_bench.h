// TimeTinyClipPretraining: timed contrastive pretraining steps of the default
// builtin:tiny-clip on any device, for bench/gpu/run.sh (gpu_tiny_clip). Its Python twin is
// bench/pretrain/tiny_clip_reference.py (--device cuda), which makes the same batches and step.
//
// Model: models::TinyClipNet from a default-constructed PretrainSpec, which is what
// DefaultPretrainSpec("tiny-clip") returns and so what `chromatune pretrain builtin:tiny-clip`
// trains: 56x56 canvases, conv stem 16-32-64-64, one vision block, two text blocks of width
// 64, context 24, batch 128; AdamW lr 2e-3, weight decay 0.05 except on 1-D parameters,
// linear warm-up over 50 steps then cosine to 0 at 1000, the learning rate set every step.
//
// Step: the tiny-clip step of experiments/models/pretrain.cc (ClipLoss: symmetric InfoNCE
// over L2-normalised features with soft targets, equal captions being positives of each
// other; zero_grad, backward, gradient sync, AdamW step, loss.item()), restated here: that
// step is private to Pretrain(), which composes every batch on the CPU from Fashion-MNIST
// (datasets/, zlib and the Debian dataset package), none of which the GPU machine has.
//
// Data, as in tiny_clip_reference.py: four batches made up front (not timed) and cycled:
// random canvases in 0..1, token ids drawn from 64 distinct random captions ([SOS] first,
// [EOS] at a random position 4..11, [PAD] after it), so equal captions occur in a batch.
//
// Gradient sync: with a communicator, a ddp::GradientReducer (buckets all-reduced from
// autograd hooks during backward, Finish after it); without one, none (plain training).
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>

#include "common/communicator.h"
#include "common/status.h"

namespace chromatune::bench {

struct TinyClipBenchOptions {
  int64_t vocab_size = 0;  // Tokenizer::Builtin().vocab_size() for the real model; > 5
  int64_t warmup = 20;     // untimed steps first (CUDA context, cuBLAS handles, allocator)
  int64_t steps = 300;     // timed steps, after the warm-up
  uint64_t seed = 1;       // model init and batches (PretrainSpec::seed)
};

struct TinyClipBenchResult {
  int64_t parameters = 0;  // number of scalars trained
  int64_t context_length = 0;
  int64_t batch_size = 0;
  int64_t image_size = 0;
  double step_ms = 0;     // wall time per timed step (each step ends in loss.item())
  double first_loss = 0;  // loss of the first timed step
  double final_loss = 0;  // loss of the last timed step
  size_t buckets = 0;     // gradient buckets per step (0 without a communicator)
  // Buckets launched from a hook during backward in the last step (== buckets when the
  // reducer overlaps communication with backward as designed).
  size_t launched_in_backward = 0;
};

// Trains a fresh model on `device` for options.warmup + options.steps steps, syncing
// gradients over `comm` when it is not null (the model's parameters must then be reducible
// by comm: CUDA for "nccl"). Errors: kInvalidArgument for bad options, the reducer's errors,
// kInternal when the loss is not finite.
Result<TinyClipBenchResult> TimeTinyClipPretraining(const TinyClipBenchOptions& options,
                                                    const torch::Device& device,
                                                    Communicator* comm);

}  // namespace chromatune::bench
