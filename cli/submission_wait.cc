// SubmitAndAwait (cli/submit.h): the submission's side of `chromatune submit`. The
// coordinator answers a big submission at once with its progress and stores it in the
// background (docs/protocol.md, "Submitting a sweep"); this polls it until it is ready, with no
// time limit while the coordinator answers, so a slow submission is never reported failed.
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/submit.h"

namespace chromatune::cli {
namespace {

// How often progress is asked for, how long the coordinator may stay unreachable (a restart
// takes seconds), and how often a submission the coordinator lost is sent again.
constexpr std::chrono::seconds kPollInterval{1};
constexpr std::chrono::seconds kUnreachableLimit{60};
constexpr int kMaxResubmissions = 3;

bool Planning(const nlohmann::json& j) { return j.value("state", std::string()) == "planning"; }

std::string ProgressLine(const nlohmann::json& j) {
  const std::string phase = j.value("phase", std::string("planning"));
  std::string line = "sweep " + j.value("sweep", std::string()) + ": planning (" + phase;
  if (phase == "storing") {
    line += " " + std::to_string(j.value("stored", int64_t{0})) + "/" +
            std::to_string(j.value("total", int64_t{0})) + " trials";
  }
  return line + ")";
}

// A transport error or a timeout: the coordinator may have the submission all the same.
bool MayHaveArrived(const Status& s) {
  return s.code() == StatusCode::kDeadlineExceeded || s.code() == StatusCode::kUnavailable;
}

}  // namespace

Result<nlohmann::json> SubmitAndAwait(protocol::CoordinatorClient& client, const SweepSpec& spec,
                                      const std::string& origin) {
  auto reply = client.SubmitSweep(spec.yaml_text, origin);
  if (reply.ok() && !Planning(*reply)) return reply;
  if (!reply.ok()) {
    if (!MayHaveArrived(reply.status())) return reply.status();
    std::cerr << "chromatune submit: " << reply.status().message()
              << "; asking the coordinator for the submission's state\n";
  }
  auto last_answer = std::chrono::steady_clock::now();
  std::string last_line;
  int resubmissions = 0;
  nlohmann::json state = reply.ok() ? *reply : nlohmann::json::object();
  while (true) {
    if (Planning(state)) {
      const std::string line = ProgressLine(state);
      if (line != last_line) std::cerr << line << std::endl;
      last_line = line;
    }
    std::this_thread::sleep_for(kPollInterval);
    auto polled = client.GetSubmission(spec.name);
    if (polled.ok()) {
      last_answer = std::chrono::steady_clock::now();
      state = *polled;
      const std::string s = state.value("state", std::string());
      if (s == "ready") return state;
      if (s == "failed") return FailedPrecondition(state.value("error", std::string("failed")));
      if (s == "cancelled") {
        return FailedPrecondition("the submission of sweep " + spec.name + " was cancelled");
      }
      continue;
    }
    const Status& error = polled.status();
    if (error.code() == StatusCode::kNotFound && resubmissions < kMaxResubmissions) {
      // Never arrived, or a restarted coordinator discarded it half-stored: a submission is
      // idempotent, so send it again.
      ++resubmissions;
      last_answer = std::chrono::steady_clock::now();
      std::cerr << "chromatune submit: the coordinator does not have sweep " << spec.name
                << " (restarted while storing it?); submitting it again\n";
      auto again = client.SubmitSweep(spec.yaml_text, origin);
      if (again.ok() && !Planning(*again)) return again;
      if (again.ok()) state = *again;
      if (!again.ok() && !MayHaveArrived(again.status())) return again.status();
      continue;
    }
    if (!MayHaveArrived(error)) return error;
    if (std::chrono::steady_clock::now() - last_answer > kUnreachableLimit) {
      return Unavailable("the coordinator did not answer for " +
                         std::to_string(kUnreachableLimit.count()) + " s (" + error.message() +
                         "); sweep " + spec.name +
                         " may still be stored: see `chromatune status`, or submit it again "
                         "(a repeated submission is idempotent)");
    }
  }
}

}  // namespace chromatune::cli
