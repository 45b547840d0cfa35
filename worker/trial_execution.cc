#include "worker/trial_execution.h"

#include <signal.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "coordinator/protocol/wire.h"

namespace chromatune::worker {
namespace {

// Applies the noop `fail` parameter; returns the injected error, if any.
Status InjectFault(const nlohmann::json& item) {
  if (item.value("method", std::string()) != "noop") return Status::Ok();
  const auto params = item.value("params", nlohmann::json::object());
  const std::string fail = params.is_object() ? params.value("fail", std::string("none")) : "";
  if (fail == "error") return Internal("noop: injected error (fail: error)");
  if (fail == "throw") throw std::runtime_error("noop: injected exception (fail: throw)");
  if (fail == "segfault") raise(SIGSEGV);
  if (fail == "hang") {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  return Status::Ok();
}

// Errors that a retry cannot fix: the item itself is wrong, or this binary cannot run it.
bool IsFinal(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kFailedPrecondition;
}

}  // namespace

TrialOutcomeMessage ExecuteTrial(TrialRunner& runner, const nlohmann::json& item,
                                 TrialContext& ctx) {
  TrialOutcomeMessage out;
  try {
    auto result = runner.Run(item, ctx);
    // After the run (its sleep_ms): a fault test can let a trial get going first.
    if (Status injected = result.ok() ? InjectFault(item) : Status::Ok(); !injected.ok()) {
      out.error = injected.ToString();
    } else if (result.ok()) {
      out.ok = true;
      out.result = protocol::EncodeResult(*result);
    } else if (result.status().code() == StatusCode::kCancelled) {
      out.cancelled = true;
      out.error = result.status().ToString();
    } else {
      out.error = result.status().ToString();
      out.final = IsFinal(result.status());
    }
  } catch (const std::exception& e) {
    out.ok = false;
    out.error = std::string("trial threw an exception: ") + e.what();
  } catch (...) {
    out.ok = false;
    out.error = "trial threw a non-standard exception";
  }
  return out;
}

}  // namespace chromatune::worker
