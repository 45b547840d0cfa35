#include "worker/hung_trial.h"

#include <unistd.h>

#include <cstdio>
#include <thread>

#include "common/log.h"
#include "experiments/sweep/duration.h"
#include "worker/leader.h"

namespace chromatune::worker {
namespace {

// How long a report may take in all: the group should end soon, and an unanswered report
// only means the lease expires instead.
constexpr int kReportTries = 3;
constexpr std::chrono::seconds kReportPause{1};
// How long rank 0 waits for outcomes of earlier rounds still being delivered.
constexpr std::chrono::seconds kFlushPatience{10};

template <typename Call>
Status Try(Call call) {
  Status s;
  for (int i = 0; i < kReportTries; ++i) {
    s = call();
    if (s.code() != StatusCode::kUnavailable && s.code() != StatusCode::kDeadlineExceeded) break;
    std::this_thread::sleep_for(kReportPause);
  }
  return s;
}

void ReleaseAsInfrastructure(protocol::CoordinatorClient& client, const RoundTrial& t,
                             const std::string& reason) {
  Status s = Try([&] {
    return client.Release(t.trial_id, t.attempt, t.lease_id, reason, /*infrastructure=*/true);
  });
  if (!s.ok()) spdlog::warn("worker: release of trial {}: {}", t.trial_id, s.ToString());
}

}  // namespace

std::string HungTrialMessage(const RoundTrial& trial, std::chrono::milliseconds idle) {
  const int64_t timeout = trial.item.value("timeout_ms", int64_t{0});
  return "trial " + std::to_string(trial.trial_id) + " (attempt " + std::to_string(trial.attempt) +
         ") of sweep " + trial.item.value("sweep", std::string("?")) + " made no step for " +
         FormatDurationMs((idle.count() + 999) / 1000 * 1000) + " (timeout " +
         FormatDurationMs(timeout) + "): ending its worker group";
}

void ReportHungTrial(protocol::CoordinatorClient& client, const Round& round, int slot,
                     const std::string& message, Leader* leader) {
  const RoundTrial& hung = round.trials[slot];
  Status failed = Try([&] {
    return client.Fail(hung.trial_id, hung.attempt, hung.lease_id, message, /*final=*/false);
  });
  if (!failed.ok()) {
    spdlog::warn("worker: report of hung trial {}: {} (its lease will expire)", hung.trial_id,
                 failed.ToString());
  }
  const std::string reason =
      "worker group ended: trial " + std::to_string(hung.trial_id) + " of its round hung";
  for (size_t i = 0; i < round.trials.size(); ++i) {
    if (static_cast<int>(i) != slot) ReleaseAsInfrastructure(client, round.trials[i], reason);
  }
  if (leader != nullptr) {
    leader->FlushFor(kFlushPatience);
    for (const auto& t : leader->TakeLeasedAhead()) ReleaseAsInfrastructure(client, t, reason);
  }
}

void EndGroupForHungTrial(const WorkerOptions& options, const Round& round, int slot,
                          Leader* leader, std::chrono::milliseconds idle) {
  const std::string message = HungTrialMessage(round.trials[slot], idle);
  spdlog::critical("worker: {}", message);
  protocol::CoordinatorClient client(options.coordinator, options.token);
  client.set_request_timeout(options.request_timeout);
  ReportHungTrial(client, round, slot, message, leader);
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  // Not exit(): the trial's thread is stuck, and destructors would wait for it.
  _exit(kHungTrialExitCode);
}

}  // namespace chromatune::worker
