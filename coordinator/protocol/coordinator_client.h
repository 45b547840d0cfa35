// CoordinatorClient: the typed client of the coordinator API (docs/protocol.md), used by
// worker rank 0 and by `chromatune submit|status`.
//
// HTTP errors map to Status codes: 400 kInvalidArgument, 401/403 kPermissionDenied,
// 404 kNotFound, 409 kFailedPrecondition (stale lease: the attempt is no longer current),
// 413 kResourceExhausted, 5xx and transport errors kUnavailable (retry may help),
// timeouts kDeadlineExceeded; an error reply with "stop": true (the coordinator quarantined
// this worker group) kCancelled: the worker stops. Messages carry the server's "error" text.
//
// Every report on a leased trial (heartbeat, complete, fail, release) carries the trial's
// attempt and the lease id of its grant (LeasedTrial::lease_id) and must be sent with the
// token that leased it (fencing).
// Not thread-safe (one HttpClient); use one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "coordinator/protocol/http_client.h"
#include "experiments/trial_result.h"

namespace chromatune::protocol {

struct GroupRegistration {
  int64_t group_id = 0;
  int64_t lease_timeout_ms = 0;       // a lease not renewed within this expires
  int64_t heartbeat_interval_ms = 0;  // how often to renew (a third of the timeout)
};

struct LeasedTrial {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string lease_id;  // sent back with every report on the trial
  int ranks = 1;
  std::string sweep;
  nlohmann::json item;  // the plan item to run
};

struct HeartbeatReply {
  bool cancel = false;  // the sweep was cancelled: stop the trial
  bool stop = false;    // the search (ASHA) stopped the trial's configuration: stop it
};

class CoordinatorClient {
 public:
  CoordinatorClient(Endpoint endpoint, std::string token);

  Result<GroupRegistration> RegisterGroup(int ranks, const nlohmann::json& devices,
                                          const std::string& host, const std::string& version,
                                          const std::string& label = "");
  // Long poll: up to `max_trials` trials that together fit `free_ranks`, waiting up to
  // `wait` for one to become runnable. Empty when none came.
  Result<std::vector<LeasedTrial>> Lease(int64_t group_id, int free_ranks, int max_trials,
                                         std::chrono::milliseconds wait);
  // `rung`: the trial's rung result {"rung", "epoch", "metrics"} (null: none). `started`:
  // false renews the lease of a trial leased ahead, whose work has not started (an expiry
  // then is not charged to it).
  Result<HeartbeatReply> Heartbeat(int64_t trial_id, int attempt, const std::string& lease_id,
                                   double progress, const std::string& note,
                                   const nlohmann::json& rung = nullptr, bool started = true);
  Status Complete(int64_t trial_id, int attempt, const std::string& lease_id,
                  const TrialResult& result);
  // Completes, and in the same exchange leases (without waiting) up to `max_trials` trials
  // that fit `free_ranks` for group `group_id`: the trials leased, empty when none was
  // runnable, when the completion was a repeat, or when the lease part was refused (the
  // completion stands in every one of these cases).
  Result<std::vector<LeasedTrial>> CompleteAndLease(int64_t trial_id, int attempt,
                                                    const std::string& lease_id,
                                                    const TrialResult& result, int64_t group_id,
                                                    int free_ranks, int max_trials);
  // `final`: do not retry (the error would repeat, e.g. a bad parameter).
  Status Fail(int64_t trial_id, int attempt, const std::string& lease_id, const std::string& error,
              bool final);
  // `infrastructure`: the trial lost its attempt to a fault outside it (a round-mate ended the
  // group): counted as an infrastructure re-queue.
  Status Release(int64_t trial_id, int attempt, const std::string& lease_id,
                 const std::string& reason, bool infrastructure = false);
  // Submits sweep file text; returns the server's summary
  // {"sweep", "state": "ready", "trials", "created", "reused", "requeued", "resumed"}, or,
  // while the coordinator still plans it, its progress {"sweep", "state": "planning",
  // "phase", "stored", "total"} (poll GetSubmission; docs/protocol.md).
  Result<nlohmann::json> SubmitSweep(const std::string& yaml, const std::string& origin);
  // The state of the sweep's submission (GET /api/v1/sweeps/NAME/submission).
  Result<nlohmann::json> GetSubmission(const std::string& sweep);
  Status CancelSweep(const std::string& name);
  Result<nlohmann::json> GetStatus();

  void set_request_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  const Endpoint& endpoint() const { return http_.endpoint(); }

 private:
  Result<nlohmann::json> Call(const std::string& method, const std::string& target,
                              const nlohmann::json* body, std::chrono::milliseconds timeout);

  HttpClient http_;
  std::string token_;
  std::chrono::milliseconds timeout_{30000};
};

}  // namespace chromatune::protocol
