#include "experiments/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>

#include "experiments/trial_cancel.h"

namespace chromatune {
namespace {

// The noop curve: accuracy after `epoch` epochs (a deterministic curve per configuration, so
// that tests of the search can state which configurations ASHA stops).
double NoopAccuracy(double value, double rate, int64_t epoch) {
  if (rate <= 0.0) return value;
  return value * (1.0 - std::exp(-rate * static_cast<double>(epoch)));
}

// Sleeps from `from_ms` to `to_ms` after `start` in slices of `slice_ms`; after each slice
// the trial's ranks agree on cancellation (CancelledEverywhere, a collective: every rank
// takes the same slices, as their boundaries depend on the arguments only) and
// `after_slice(ms)` runs with the time slept so far. True when cancelled.
Result<bool> SleepInSlices(std::chrono::steady_clock::time_point start, int64_t from_ms,
                           int64_t to_ms, int64_t slice_ms, TrialContext& ctx,
                           const std::function<void(int64_t)>& after_slice) {
  for (int64_t at = from_ms; at < to_ms;) {
    at = std::min(to_ms, (at / slice_ms + 1) * slice_ms);
    std::this_thread::sleep_until(start + std::chrono::milliseconds(at));
    CT_ASSIGN_OR_RETURN(bool cancelled, CancelledEverywhere(ctx));
    if (cancelled) return true;
    if (after_slice) after_slice(at);
  }
  return false;
}

// The noop trial with a curve (epochs > 1 or rate > 0): `sleep_ms` spread over the epochs,
// the curve reported at the rungs the search asks for, stopped through ctx.cancelled.
Result<TrialResult> RunNoopCurve(const nlohmann::json& params, TrialContext& ctx) {
  const int64_t sleep_ms = params.value("sleep_ms", int64_t{0});
  const double value = params.value("value", 0.5);
  const double rate = params.value("rate", 0.0);
  const int64_t epochs = params.value("epochs", int64_t{1});
  if (epochs < 1) return InvalidArgument("noop: epochs must be >= 1");
  const auto start = std::chrono::steady_clock::now();
  TrialResult r;
  size_t next_rung = 0;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    CT_ASSIGN_OR_RETURN(bool cancelled, CancelledEverywhere(ctx));
    if (cancelled) return Cancelled("noop trial cancelled at epoch " + std::to_string(epoch - 1));
    CT_ASSIGN_OR_RETURN(cancelled, SleepInSlices(start, sleep_ms * (epoch - 1) / epochs,
                                                 sleep_ms * epoch / epochs, 20, ctx, nullptr));
    if (cancelled) return Cancelled("noop trial cancelled in epoch " + std::to_string(epoch));
    const double acc = NoopAccuracy(value, rate, epoch);
    while (next_rung < ctx.rung_epochs.size() && ctx.rung_epochs[next_rung] < epoch) ++next_rung;
    const bool rung = next_rung < ctx.rung_epochs.size() && ctx.rung_epochs[next_rung] == epoch;
    if (rung || epoch == epochs) r.curves.push_back({"accuracy", epoch, acc});
    if (ctx.comm->rank() == 0) {
      if (rung && ctx.report_rung) {
        ctx.report_rung(static_cast<int>(next_rung), epoch, {{"accuracy", acc}});
      }
      if (ctx.progress) {
        ctx.progress(static_cast<double>(epoch) / static_cast<double>(epochs),
                     "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs));
      }
    }
  }
  CT_RETURN_IF_ERROR(ctx.comm->Barrier());
  r.metrics["accuracy"] = NoopAccuracy(value, rate, epochs);
  r.info["epochs_run"] = epochs;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// The `noop` method: a real method for load and fault tests. It sleeps `sleep_ms` in slices
// (so cancellation and progress work, on every rank of a multi-rank trial) and reports
// `value` as its accuracy; with a curve (epochs, rate) it runs RunNoopCurve.
Result<TrialResult> RunNoop(const nlohmann::json& item, TrialContext& ctx) {
  const nlohmann::json params = item.value("params", nlohmann::json::object());
  const int64_t sleep_ms = params.value("sleep_ms", int64_t{0});
  const double value = params.value("value", 0.5);
  if (sleep_ms < 0) return InvalidArgument("noop: sleep_ms must be >= 0");
  if (params.value("epochs", int64_t{1}) != 1 || params.value("rate", 0.0) != 0.0) {
    return RunNoopCurve(params, ctx);
  }
  const auto start = std::chrono::steady_clock::now();
  auto progress = [&ctx, sleep_ms](int64_t slept_ms) {
    if (ctx.progress && ctx.comm->rank() == 0) {
      ctx.progress(static_cast<double>(slept_ms) / static_cast<double>(sleep_ms), "sleeping");
    }
  };
  CT_ASSIGN_OR_RETURN(bool cancelled, SleepInSlices(start, 0, sleep_ms, 50, ctx, progress));
  if (cancelled) return Cancelled("noop trial cancelled");
  CT_RETURN_IF_ERROR(ctx.comm->Barrier());
  TrialResult r;
  r.metrics["accuracy"] = value;
  r.curves.push_back({"accuracy", 0, value});
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// The noop `array_size` N > 0: an array "noop_values" of N floats, element i = 1000 *
// (train_seed mod 1000) + i mod 1000 (exact in float32), so that chaos tests can check that
// every stored trial has its arrays in the HDF5 file, and that they are its own.
Result<TrialResult> AddNoopArray(const nlohmann::json& item, Result<TrialResult> result) {
  if (!result.ok()) return result;
  const nlohmann::json params = item.value("params", nlohmann::json::object());
  const int64_t n = params.value("array_size", int64_t{0});
  if (n < 0 || n > (int64_t{1} << 24)) {
    return InvalidArgument("noop: array_size must be in 0..16777216");
  }
  if (n == 0) return result;
  const float base = 1000.0f * static_cast<float>(item.value("train_seed", int64_t{0}) % 1000);
  NamedArray values{"noop_values", {n}, std::vector<float>(static_cast<size_t>(n))};
  for (int64_t i = 0; i < n; ++i) values.data[i] = base + static_cast<float>(i % 1000);
  result->arrays.push_back(std::move(values));
  return result;
}

}  // namespace

TrialRunner::TrialRunner(RunnerOptions options) : options_(std::move(options)) {}
TrialRunner::~TrialRunner() = default;

Result<TrialResult> TrialRunner::Run(const nlohmann::json& item, TrialContext& ctx) {
  if (ctx.comm == nullptr) return InvalidArgument("trial context has no communicator");
  if (!item.is_object() || !item.contains("method") || !item["method"].is_string()) {
    return InvalidArgument("plan item: missing string field \"method\"");
  }
  const std::string method = item["method"].get<std::string>();
  if (method == "noop") return AddNoopArray(item, RunNoop(item, ctx));
  if (!torch_trial_) {
    return FailedPrecondition("method \"" + method +
                              "\" needs LibTorch, and this binary was built without it");
  }
  return torch_trial_(item, ctx);
}

}  // namespace chromatune
