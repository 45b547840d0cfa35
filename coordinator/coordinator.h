// Coordinator: the service behind the API (routes in api.h): worker groups, leases with
// fencing, scheduling, results, sweeps and status. No HTTP here, so it is tested directly.
//
// State that matters lives in the ResultStore (SQLite); the in-memory maps (groups, which
// trial holds which ranks, long-poll waiters) are rebuilt from it by Recover() after a
// restart. Thread safety: every public method may be called from any thread; they
// serialise on one mutex (the store serialises writes anyway). Lease callbacks run under
// that mutex and must only hand the answer over (the HTTP Responder posts it).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "coordinator/artifact_sink.h"
#include "coordinator/scheduler.h"
#include "storage/result_store.h"

namespace chromatune::coordinator {

struct CoordinatorOptions {
  // A lease not renewed for this long expires and its trial goes back to the queue (the
  // issue asks for a default of at most 30 s). Workers renew every third of it.
  std::chrono::milliseconds lease_timeout{30000};
  // Longest long poll a worker may ask for; longer requests are cut to this.
  std::chrono::milliseconds max_long_poll{20000};
  // Retry backoff after a failed attempt: base * 2^(failures-1), at most max.
  std::chrono::milliseconds retry_backoff_base{1000};
  std::chrono::milliseconds retry_backoff_max{60000};
  // A group that has not been heard from for this many lease timeouts is marked gone.
  int group_timeout_leases = 3;
  // Candidates fetched per sweep for one scheduling decision (ListRunnable).
  int runnable_per_sweep = 32;
  // Wall clock in ms since the epoch; tests inject one.
  std::function<int64_t()> now_ms;
};

struct LeaseGrant {
  int64_t trial_id = 0;
  int attempt = 0;
  int ranks = 1;
  std::string sweep;
  nlohmann::json item;
};

// Called exactly once with the granted trials (empty when the long poll timed out).
using LeaseCallback = std::function<void(Result<std::vector<LeaseGrant>>)>;

class Coordinator {
 public:
  // `store` must outlive this object; `artifacts` may be null (arrays are then dropped
  // with a warning: only tests do that).
  Coordinator(ResultStore* store, ArtifactSink* artifacts, CoordinatorOptions options);

  // After a restart: loads active worker groups and held leases from the store and
  // extends every held lease by one lease timeout, so workers that kept training while
  // the coordinator was down can still deliver (their heartbeats resume the lease).
  Status Recover();

  struct Registration {
    int64_t group_id = 0;
    int64_t lease_timeout_ms = 0;
    int64_t heartbeat_interval_ms = 0;
  };
  // `label`: a name the group's launcher gave it (`chromatune worker --label`), kept in
  // memory for status and for the embedded run's bookkeeping; may be empty.
  Result<Registration> RegisterGroup(const WorkerGroupInfo& info, const std::string& label = "");
  // Labels of the groups registered with this coordinator and not marked gone.
  std::set<std::string> GroupLabels();

  // Leases up to `max_trials` trials that together fit `free_ranks` of the group; when
  // none is runnable, waits up to `wait_ms` (long poll). A new lease request of a group
  // answers that group's older waiting request with no trials (its connection was lost).
  // kNotFound for an unknown or gone group (the worker registers again).
  void Lease(int64_t group_id, int free_ranks, int max_trials, int64_t wait_ms, LeaseCallback done);
  // Renews the lease (marking the trial running on first contact) and records progress.
  // Returns true when the trial was cancelled (the worker stops it). kFailedPrecondition
  // when the attempt is not current (the trial went to someone else).
  Result<bool> Heartbeat(int64_t trial_id, int attempt, double progress, const std::string& note);
  // Stores the result of the current attempt: arrays first (ArtifactSink), then the
  // rows. Returns true when this exact attempt had already completed (a retried request),
  // which stores nothing. kFailedPrecondition for a stale attempt.
  Result<bool> Complete(int64_t trial_id, int attempt, const TrialResult& result);
  // Fails the attempt; retried after a backoff while the sweep's retries last, unless
  // `final`. Returns the trial's new state.
  Result<TrialState> Fail(int64_t trial_id, int attempt, const std::string& error, bool final);
  // Gives the trial back without counting a failure (a draining worker).
  Status Release(int64_t trial_id, int attempt, const std::string& reason);

  // Validates and plans `yaml` (as `chromatune sweep validate` does), then creates or
  // resumes the sweep. Returns {"sweep", "trials", "created", "reused", "requeued",
  // "unchanged", "dropped", "resumed"}. kInvalidArgument lists every problem of the file.
  Result<nlohmann::json> SubmitSweep(const std::string& yaml, const std::string& origin,
                                     const std::string& user);
  Result<int64_t> CancelSweep(const std::string& name);
  // {"sweeps": [...], "groups": [...], "waiting": [...], "waiting_trials": [...]}
  // (docs/protocol.md): every waiting trial group carries the reason it waits.
  Result<nlohmann::json> StatusReport();
  Result<nlohmann::json> SweepReport(const std::string& name);

  // Expires overdue leases, answers due long polls, marks silent groups gone. The server
  // calls it every few tens of milliseconds.
  void Tick();
  // Answers every waiting long poll with no trials (before shutdown).
  void DropWaiters();
  // Marks every worker group this coordinator knows as gone. For the embedded run once its
  // own groups have exited: the next coordinator on the store then does not list them as
  // active until their silence times out ("silent for 90 s: marked gone" warnings).
  Status RetireGroups();

  ResultStore* store() { return store_; }

 private:
  struct GroupState {
    int ranks = 1;
    std::string host;
    int64_t last_seen_ms = 0;
    std::string label;
  };
  struct HeldLease {
    int64_t group_id = 0;
    int ranks = 1;
    int64_t sweep_id = 0;
    std::string user;
    int attempt = 0;
    bool running = false;  // MarkRunning done
  };
  struct Waiter {
    int64_t group_id = 0;
    int free_ranks = 0;
    int max_trials = 1;
    int64_t deadline_ms = 0;
    LeaseCallback done;
  };

  int64_t Now() const;
  Result<std::vector<LeaseGrant>> TryLease(int64_t group_id, int free_ranks, int max_trials);
  // Tries every waiting long poll again; answers those granted or due.
  void ServeWaiters();
  Status ExpireLeases();
  Result<std::string> SweepUser(int64_t sweep_id);
  void Forget(int64_t trial_id);
  void TouchGroupOf(int64_t trial_id);

  ResultStore* store_;
  ArtifactSink* artifacts_;
  CoordinatorOptions options_;
  Scheduler scheduler_;

  std::mutex mu_;
  std::map<int64_t, GroupState> groups_;
  std::map<int64_t, HeldLease> leases_;  // by trial id
  std::map<int64_t, std::string> sweep_users_;
  std::deque<Waiter> waiters_;
  int64_t next_expiry_check_ms_ = 0;
};

}  // namespace chromatune::coordinator
