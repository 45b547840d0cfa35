#include "experiments/runner.h"

#include <chrono>
#include <thread>

namespace chromatune {
namespace {

// The `noop` method: a real method for load and fault tests. It sleeps `sleep_ms` in slices
// (so cancellation and progress work) and reports `value` as its accuracy.
Result<TrialResult> RunNoop(const nlohmann::json& item, TrialContext& ctx) {
  const nlohmann::json params = item.value("params", nlohmann::json::object());
  const int64_t sleep_ms = params.value("sleep_ms", int64_t{0});
  const double value = params.value("value", 0.5);
  if (sleep_ms < 0) return InvalidArgument("noop: sleep_ms must be >= 0");
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(sleep_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ctx.cancelled && ctx.cancelled()) return Cancelled("noop trial cancelled");
    auto left = deadline - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
    if (ctx.progress && ctx.comm->rank() == 0) {
      double frac = std::chrono::duration<double>(std::chrono::steady_clock::now() - start) /
                    std::chrono::milliseconds(std::max<int64_t>(sleep_ms, 1));
      ctx.progress(std::min(frac, 1.0), "sleeping");
    }
  }
  CT_RETURN_IF_ERROR(ctx.comm->Barrier());
  TrialResult r;
  r.metrics["accuracy"] = value;
  r.curves.push_back({"accuracy", 0, value});
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
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
  if (method == "noop") return RunNoop(item, ctx);
  if (!torch_trial_) {
    return FailedPrecondition("method \"" + method +
                              "\" needs LibTorch, and this binary was built without it");
  }
  return torch_trial_(item, ctx);
}

}  // namespace chromatune
