// TrainLoop: the one optimisation loop of every trained method, data-parallel over the
// trial's communicator.
//
// Each epoch visits the n training examples in an order drawn from `seed` and the epoch
// (identical on every rank). A step takes the next global batch of batch_size examples (the
// last one may be smaller); rank r of R computes the loss of its contiguous shard of that
// batch, SUMMED over the shard, divided by the GLOBAL batch size; the gradients are summed
// across ranks while backward runs (ddp::GradientReducer: buckets all-reduced from autograd
// hooks; parameters broadcast from rank 0 first). The step therefore equals a one-rank step
// with the same global batch, up to the order of float additions, and all ranks agree.
//
// Learning rate: `lr` with a per-epoch cosine decay to 0 (CoOp), or constant. Optimiser SGD
// (momentum, weight decay) or AdamW. Curves: "train_loss" (mean loss of the epoch's
// examples, every epoch) and "accuracy" (the `evaluate` hook on the first
// `hooks.curve_eval_items` evaluation items, at up to `max_evals` evenly spaced epochs including
// the last; every rank calls it, it may use collectives). After the last epoch the hook also
// runs on the whole evaluation set: that is `final_accuracy`, the trial's metric. The curve
// uses a fixed prefix of the (already fixed) evaluation subset because evaluating all of it
// every few epochs cost image-side methods (VPT, fine-tuning) most of their trial time at low
// shot counts; a curve point is then an estimate (standard error ~3 points at 256 items), the
// metric is not.
// Cancellation: ctx.cancelled is polled by rank 0 each epoch and its answer broadcast, so
// every rank stops together with kCancelled (a search's stop at a rung arrives this way).
// Rungs: after each epoch in ctx.rung_epochs the whole evaluation set is evaluated and rank 0
// calls ctx.report_rung with {"accuracy": value} (the search's early stopping, ASHA).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"
#include "experiments/methods/method_params.h"
#include "experiments/runner.h"
#include "experiments/trial_result.h"

namespace chromatune::methods {

// Default number of evaluation items behind each point of the "accuracy" curve.
inline constexpr int64_t kCurveEvalItems = 256;

struct TrainHooks {
  // Sum of the per-example losses of `indices` (this rank's shard; may be empty, then return
  // an undefined tensor).
  std::function<torch::Tensor(const std::vector<int64_t>& indices)> loss_sum;
  // Accuracy with the current parameters on the first `limit` items of the evaluation set
  // (limit <= 0 or >= eval_items: all of it); may be empty. The last call TrainLoop makes is
  // the full evaluation, so state the hook fills (predictions) is the full set's.
  std::function<Result<double>(int64_t limit)> evaluate;
  // Items in the evaluation set (needed with `evaluate`), and how many the curve points use.
  int64_t eval_items = 0;
  int64_t curve_eval_items = kCurveEvalItems;
  // Called once per step after the optimiser step (e.g. to re-apply a mask); may be empty.
  std::function<void()> after_step;
};

struct TrainOutcome {
  std::vector<CurvePoint> curves;
  int64_t steps = 0;
  // fp16 only: steps skipped because a gradient overflowed (loss_scaler.h); counted in steps.
  int64_t skipped_steps = 0;
  // The evaluate hook's value on the whole evaluation set after the last epoch (it always
  // runs then when set), so the caller need not evaluate the final parameters again.
  std::optional<double> final_accuracy;
};

// Trains `params` (each requires_grad). n_examples >= 1. Errors: collectives, cancellation,
// and a non-finite loss (kInternal naming the epoch).
Result<TrainOutcome> TrainLoop(const std::vector<torch::Tensor>& params, int64_t n_examples,
                               const TrainParams& train, uint64_t seed, TrialContext& ctx,
                               const TrainHooks& hooks, int max_evals = 10);

// The rank's contiguous share [begin, end) of a global batch of `batch` examples.
std::pair<int64_t, int64_t> ShardOf(int64_t batch, int rank, int size);

}  // namespace chromatune::methods
