#include "experiments/methods/trainer.h"

#include "experiments/ddp/gradient_reducer.h"
#include "experiments/methods/loss_scaler.h"
#include "experiments/models/precision.h"
#include "experiments/trial_cancel.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>
#include <set>

namespace chromatune::methods {
namespace {

// Fisher-Yates with a fixed generator, so the order is the same on every rank and platform.
std::vector<int64_t> EpochOrder(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch) + 1);
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const std::vector<torch::Tensor>& params,
                                                       const TrainParams& t) {
  if (t.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(t.lr).weight_decay(t.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(t.lr).momentum(t.momentum).weight_decay(t.weight_decay));
}

void SetLearningRate(torch::optim::Optimizer* opt, const TrainParams& t, double lr) {
  for (auto& group : opt->param_groups()) {
    if (t.optimizer == "adamw") {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    } else {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
  }
}

// Epochs (0-based) after which the accuracy curve is evaluated: up to max_evals evenly
// spaced, always including the last.
std::set<int64_t> EvalEpochs(int64_t epochs, int max_evals) {
  std::set<int64_t> out;
  if (max_evals <= 0) return out;
  for (int i = 1; i <= max_evals; ++i) {
    out.insert(std::max<int64_t>(0, (epochs * i) / max_evals - 1));
  }
  out.insert(epochs - 1);
  return out;
}

// After an epoch that is a rung of the search (ctx.rung_epochs): the accuracy on the whole
// evaluation set, as the final metric is measured (every rank evaluates; rank 0 reports).
Status ReportRung(int64_t epochs_done, const TrainHooks& hooks, TrialContext& ctx,
                  const std::optional<double>& final_accuracy) {
  const auto& rungs = ctx.rung_epochs;
  auto it = std::find(rungs.begin(), rungs.end(), epochs_done);
  if (it == rungs.end() || !hooks.evaluate) return Status::Ok();
  double value = 0.0;
  if (final_accuracy) {
    value = *final_accuracy;  // the last epoch: evaluated already
  } else {
    CT_ASSIGN_OR_RETURN(value, hooks.evaluate(0));
  }
  if (ctx.comm->rank() == 0 && ctx.report_rung) {
    ctx.report_rung(static_cast<int>(it - rungs.begin()), epochs_done, {{"accuracy", value}});
  }
  return Status::Ok();
}

// The communicator that reduces gradients: the group's (MPI, host memory) for CPU
// parameters, the trial's device communicator (NCCL) for CUDA ones.
Result<Communicator*> GradientCommunicator(const std::vector<torch::Tensor>& params,
                                           TrialContext& ctx) {
  if (params.empty() || !params.front().is_cuda()) return ctx.comm;
  if (!ctx.device_comm) {
    return FailedPrecondition(
        "data-parallel training on CUDA needs the NCCL communicator, and this build has none "
        "(build with a CUDA LibTorch and NCCL: docs/gpu.md)");
  }
  return ctx.device_comm(params.front().device().index());
}

// Benchmarks only (bench/gpu/run.sh, figure d; docs/gpu.md): CHROMATUNE_REDUCE_ONE_RANK=1
// sends a one-rank trial's gradients through the gradient reducer as well (NCCL for CUDA
// parameters), so that a single GPU can show the reducer changes no bit of a trial.
bool ReduceOneRank() {
  const char* v = std::getenv("CHROMATUNE_REDUCE_ONE_RANK");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace

std::pair<int64_t, int64_t> ShardOf(int64_t batch, int rank, int size) {
  return {batch * rank / size, batch * (rank + 1) / size};
}

Result<TrainOutcome> TrainLoop(const std::vector<torch::Tensor>& params, int64_t n_examples,
                               const TrainParams& train, uint64_t seed, TrialContext& ctx,
                               const TrainHooks& hooks, int max_evals) {
  if (n_examples < 1) return InvalidArgument("training needs at least one example");
  TrainOutcome out;
  if (params.empty() || train.epochs == 0) return out;
  auto opt = MakeOptimizer(params, train);
  const int rank = ctx.comm->rank(), size = ctx.comm->size();
  std::unique_ptr<ddp::GradientReducer> reducer;
  if (size > 1 || ReduceOneRank()) {
    CT_ASSIGN_OR_RETURN(Communicator * comm, GradientCommunicator(params, ctx));
    CT_ASSIGN_OR_RETURN(reducer, ddp::GradientReducer::Create(params, comm));
  }
  LossScaler scaler(train.loss_scaling);
  const int64_t batch = std::min(train.batch_size, n_examples);
  const std::set<int64_t> eval_epochs =
      hooks.evaluate ? EvalEpochs(train.epochs, max_evals) : std::set<int64_t>{};
  for (int64_t epoch = 0; epoch < train.epochs; ++epoch) {
    CT_ASSIGN_OR_RETURN(bool cancelled, CancelledEverywhere(ctx));
    if (cancelled) return Cancelled("trial cancelled at epoch " + std::to_string(epoch));
    const double lr =
        epoch < train.warmup_epochs ? train.warmup_lr
        : train.schedule == "cosine"
            ? 0.5 * train.lr * (1.0 + std::cos(M_PI * static_cast<double>(epoch) / train.epochs))
            : train.lr;
    SetLearningRate(opt.get(), train, lr);
    const std::vector<int64_t> order = EpochOrder(n_examples, seed, epoch);
    float loss_total = 0.0f;
    for (int64_t start = 0; start < n_examples; start += batch) {
      const int64_t global = std::min(batch, n_examples - start);
      const auto [b, e] = ShardOf(global, rank, size);
      std::vector<int64_t> shard(order.begin() + start + b, order.begin() + start + e);
      opt->zero_grad();
      if (!shard.empty()) {
        torch::Tensor loss = hooks.loss_sum(shard);
        if (loss.defined()) {
          loss_total += loss.item<float>();
          // The reducer averages over ranks: scaling by size / global makes that average the
          // mean over the global batch, whatever the shard sizes.
          (loss * (static_cast<double>(size) / static_cast<double>(global) * scaler.scale()))
              .backward();
        }
      }
      if (reducer) CT_RETURN_IF_ERROR(reducer->Finish());
      const bool finite = scaler.UnscaleAndCheck(params);
      if (finite) opt->step();
      scaler.Update(finite);
      models::ForgetCastWeights();  // the next forward must see the stepped parameters
      if (hooks.after_step) hooks.after_step();
      ++out.steps;
    }
    if (size > 1) CT_RETURN_IF_ERROR(ctx.comm->AllReduceSum(&loss_total, 1));
    const double mean_loss = loss_total / static_cast<double>(n_examples);
    if (!std::isfinite(mean_loss)) {
      return Internal("training diverged: loss is " + std::to_string(mean_loss) + " at epoch " +
                      std::to_string(epoch) + " (lower params.lr)");
    }
    out.curves.push_back({"train_loss", epoch + 1, mean_loss});
    out.skipped_steps = scaler.skipped_steps();
    if (eval_epochs.count(epoch)) {
      const bool last = epoch + 1 == train.epochs;
      const bool curve_is_all =
          hooks.curve_eval_items <= 0 || hooks.curve_eval_items >= hooks.eval_items;
      double point = 0.0;
      if (!(last && curve_is_all)) {
        CT_ASSIGN_OR_RETURN(point, hooks.evaluate(hooks.curve_eval_items));
      }
      if (last) {
        // The full evaluation runs last, so the hook's side outputs describe the full set.
        CT_ASSIGN_OR_RETURN(double full, hooks.evaluate(0));
        out.final_accuracy = full;
        if (curve_is_all) point = full;
      }
      out.curves.push_back({"accuracy", epoch + 1, point});
    }
    CT_RETURN_IF_ERROR(ReportRung(epoch + 1, hooks, ctx, out.final_accuracy));
    if (ctx.progress && rank == 0) {
      ctx.progress(static_cast<double>(epoch + 1) / train.epochs,
                   "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(train.epochs));
    }
  }
  return out;
}

}  // namespace chromatune::methods
