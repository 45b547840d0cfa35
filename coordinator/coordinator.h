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
#include "coordinator/roles.h"
#include "coordinator/scheduler.h"
#include "coordinator/search_driver.h"
#include "coordinator/sweep_planner.h"
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
  // Non-admins may ask for priorities in [-max_user_priority, max_user_priority] only
  // (--max-user-priority): otherwise one user jumps every queue.
  int max_user_priority = 100;
  // A group whose leases expire this many times in a row (no completion, failure or release
  // in between) is quarantined: its next request is told to stop. It would otherwise burn
  // every trial's retries, one lease timeout at a time.
  int quarantine_after_expiries = 3;
  // Ranks a worker group may register (one mpirun or srun step); more is refused.
  int max_group_ranks = 1024;
  // A group may hold leases of at most this many times its ranks: one round running and
  // one leased ahead (docs/runtime.md, "Lease ahead"); never more, whatever it asks.
  int max_held_rounds = 2;
  // --data-root: dataset and backbone paths of submitted sweeps must resolve under one of
  // these (data_roots.h); empty: any path the coordinator's user can read.
  std::vector<std::string> data_roots;
  // A submission not stored within this long is answered with its progress (`planning`);
  // the client then polls it (docs/protocol.md, "Submitting a sweep").
  std::chrono::milliseconds submit_answer_within{1000};
  // Plan items stored per step of the single writer (SweepPlannerOptions::rows_per_step).
  int64_t plan_rows_per_step = 2000;
  // Wall clock in ms since the epoch; tests inject one.
  std::function<int64_t()> now_ms;
};

// Answers a submission: the summary of a stored sweep, its progress while it is planned
// ("state": "planning"), or the error.
using SubmitCallback = std::function<void(Result<nlohmann::json>)>;

struct LeaseGrant {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string lease_id;  // 128 random bits; every report on the trial must carry it
  int ranks = 1;
  std::string sweep;
  nlohmann::json item;
};

// Called exactly once with the granted trials (empty when the long poll timed out).
using LeaseCallback = std::function<void(Result<std::vector<LeaseGrant>>)>;

// What a report on a leased trial presents (fencing): the attempt and lease id of the grant,
// and the user of the token it comes with, which must be the user whose token registered
// the group holding the lease.
struct LeaseClaim {
  int attempt = 0;
  std::string lease_id;
  std::string user;
};

// What a heartbeat answers: stop the trial because its sweep was cancelled, or because the
// search (ASHA) stopped its configuration at a rung.
struct HeartbeatAnswer {
  bool cancel = false;
  bool stop = false;
};

// Prefix of the message a quarantined group gets (kCancelled: HTTP 403 with "stop": true).
constexpr const char* kQuarantinedMessage = "quarantined";

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
  // memory for status and for the embedded run's bookkeeping; may be empty. `info.user` and
  // `info.role` name the token that registers it: only that user may lease for the group
  // and report on its trials. kInvalidArgument beyond options.max_group_ranks.
  Result<Registration> RegisterGroup(const WorkerGroupInfo& info, const std::string& label = "");
  // Labels of the groups registered with this coordinator and not marked gone.
  std::set<std::string> GroupLabels();

  // Leases up to `max_trials` trials that together fit `free_ranks` of the group; when
  // none is runnable, waits up to `wait_ms` (long poll). A new lease request of a group
  // answers that group's older waiting request with no trials (its connection was lost).
  // kNotFound for an unknown or gone group (the worker registers again); kPermissionDenied
  // when `user` is not the user who registered the group; kCancelled when the group is
  // quarantined (stop). A group never holds more than max_held_rounds x its ranks.
  void Lease(int64_t group_id, int free_ranks, int max_trials, int64_t wait_ms, LeaseCallback done,
             const std::string& user = "");

  // Reports on a leased trial. Each is accepted only when `claim` matches the trial's
  // current lease (attempt, lease id, and the user who registered the holding group);
  // anything else is refused before anything is stored: kFailedPrecondition (409) for a
  // stale or unknown attempt or a wrong lease id, kPermissionDenied (403) for another user.
  //
  // Renews the lease (marking the trial running on first contact) and records progress.
  // Returns true when the trial was cancelled (the worker stops it).
  Result<bool> Heartbeat(int64_t trial_id, const LeaseClaim& claim, double progress,
                         const std::string& note);
  // The same, with the trial's rung result when it has one (docs/protocol.md): recorded once
  // per (trial, rung), then the search decides what it can. `stop` when the trial's
  // configuration was stopped (now or before; also for a trial already moved to stopped
  // whose claim names the attempt that was running). `started` false (a trial leased ahead,
  // still waiting for its round) renews the lease without marking the trial running, so its
  // expiry with a dead group is not charged to it.
  Result<HeartbeatAnswer> Heartbeat(int64_t trial_id, const LeaseClaim& claim, double progress,
                                    const std::string& note, const std::optional<RungResult>& rung,
                                    bool started = true);
  // Stores the result of the current attempt: arrays first (ArtifactSink), then the
  // rows. Returns true when this exact attempt had already completed (a retried request
  // with the same claim), which stores nothing. Rung results in result.info["rungs"] are
  // recorded first (a trial too short to heartbeat reports its rungs here); in a search,
  // the final value then counts and the trial may end `stopped` when its group was.
  Result<bool> Complete(int64_t trial_id, const LeaseClaim& claim, const TrialResult& result);
  // Fails the attempt; retried after a backoff while the sweep's retries last, unless
  // `final`. Returns the trial's new state.
  Result<TrialState> Fail(int64_t trial_id, const LeaseClaim& claim, const std::string& error,
                          bool final);
  // Gives the trial back without counting a failure (a draining worker); `infrastructure`:
  // counted as an infrastructure re-queue (ResultStore::ReleaseLease).
  Status Release(int64_t trial_id, const LeaseClaim& claim, const std::string& reason,
                 bool infrastructure = false);

  // Validates `yaml` (as `chromatune sweep validate` does), then has the planner thread plan
  // it and create or resume the sweep as `who`, in bounded steps (sweep_planner.h), and waits
  // for the outcome: {"sweep", "state": "ready", "trials", "created", "reused", "requeued",
  // "unchanged", "dropped", "resumed", ...}. kInvalidArgument lists every problem of the
  // file, or names --max-user-priority when a non-admin asks for more; kAlreadyExists (409)
  // names the owner when another user owns the name (admins may resume it);
  // kFailedPrecondition when another submission of the name is in progress, or this one was
  // cancelled.
  Result<nlohmann::json> SubmitSweep(const std::string& yaml, const std::string& origin,
                                     const Identity& who);
  // The same without blocking (the HTTP route): `done` is called once, on another thread,
  // with the outcome, or with the submission's progress ("state": "planning") when it is not
  // stored within options.submit_answer_within. Errors of the file are answered at once.
  void SubmitSweep(const std::string& yaml, const std::string& origin, const Identity& who,
                   SubmitCallback done);
  // The submission of `name` in progress or last finished (Submission::ToJson); for a sweep
  // stored before (or by an earlier coordinator) {"sweep", "state": "ready"}; kNotFound if
  // there is neither.
  Result<nlohmann::json> SubmissionReport(const std::string& name);
  // Cancels the sweep's unfinished trials, and its submission while one is in progress (a
  // new sweep being planned is then never created). Users may cancel their own sweeps only
  // (kPermissionDenied naming the owner); admins any.
  Result<int64_t> CancelSweep(const std::string& name, const Identity& who);
  // Sets the sweep's priority; the same ownership rule as CancelSweep, and the bound of
  // SubmitSweep for non-admins.
  Status SetPriority(const std::string& name, int priority, const Identity& who);
  // The audit trail (submit, resume, cancel, priority), newest first (of `sweep` when not
  // empty): [{"time_ms", "user", "action", "sweep", "detail"}].
  Result<nlohmann::json> AuditReport(int limit, const std::string& sweep = "");
  // {"sweeps": [...], "planning": [...], "groups": [...], "quarantined_groups": [...],
  // "waiting": [...], "waiting_trials": [...], "audit": [...]} (docs/protocol.md): every
  // waiting trial group carries the reason it waits; "planning" lists the submissions in
  // progress (Submission::ToJson); "audit" holds the newest 20 audit records.
  Result<nlohmann::json> StatusReport();
  Result<nlohmann::json> SweepReport(const std::string& name);

  // Expires overdue leases, answers due long polls, marks silent groups gone. The server
  // calls it every few tens of milliseconds.
  void Tick();
  // Answers every waiting long poll with no trials, and every submission not answered yet
  // with its progress (before shutdown).
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
    std::string owner;         // the user whose token registered it
    int expired_in_a_row = 0;  // leases expired since its last completion/failure/release
    // As registered: one entry per rank (coordinator/protocol/group_devices.h), for status.
    nlohmann::json devices = nlohmann::json::array();
  };
  struct Quarantined {
    std::string host;
    std::string label;
    std::string owner;
    int64_t since_ms = 0;
    std::string reason;
  };
  struct HeldLease {
    int64_t group_id = 0;
    int ranks = 1;
    int64_t sweep_id = 0;
    std::string user;  // the sweep's owner (fair share)
    int attempt = 0;
    bool running = false;  // MarkRunning done
    std::string lease_id;
    std::string owner;  // the user who registered the holding group
  };
  // A submission's HTTP answer, due by `deadline_ms` (then with its progress).
  struct SubmitReply {
    std::shared_ptr<Submission> submission;
    int64_t deadline_ms = 0;
    std::shared_ptr<std::function<void(Result<nlohmann::json>)>> answer;  // answers once
  };
  struct Waiter {
    int64_t group_id = 0;
    int free_ranks = 0;
    int max_trials = 1;
    int64_t deadline_ms = 0;
    LeaseCallback done;
  };

  int64_t Now() const;
  // A write's status, with store faults (store_fault.h) noted and turned into kUnavailable
  // ("the coordinator cannot WHAT now: ...").
  Status StoreWrite(const Status& s, const std::string& what);
  // Renews every held lease for a full lease timeout from `now` (after a restart, and when the
  // store takes writes again after a fault: the heartbeats it could not store meanwhile
  // must not turn into expiries charged to the trials).
  Status ExtendHeldLeases(int64_t now);
  Result<std::vector<LeaseGrant>> TryLease(int64_t group_id, int free_ranks, int max_trials);
  // Tries every waiting long poll again; answers those granted or due.
  void ServeWaiters();
  Status ExpireLeases();
  Result<std::string> SweepUser(int64_t sweep_id);
  // Fencing: Ok when `claim` holds the trial's current lease (see Heartbeat).
  Status CheckClaim(int64_t trial_id, const LeaseClaim& claim, const char* what);
  // For a trial no longer held: Ok when `claim` names the attempt that closed with
  // `outcome` and its lease id and group owner match (a retried report).
  Status CheckClosedClaim(int64_t trial_id, const LeaseClaim& claim);
  Result<std::string> GroupOwner(int64_t group_id);
  // The stop message of a quarantined group (kCancelled).
  Status QuarantineError(int64_t group_id, const Quarantined& q) const;
  // Moves the group to quarantined_, releases its leases and answers its waiters.
  void Quarantine(int64_t group_id, const std::string& reason);
  int64_t Backoff(int failures) const;
  // A report showed the group at work: its run of expired leases ends.
  void GroupWorked(int64_t group_id);
  Status CheckGroupAccess(int64_t group_id, const std::string& user);
  // Users act on their own sweeps only; admins on any.
  Status CheckOwner(const std::string& name, const Identity& who, const char* what);
  Status CheckPriority(int64_t priority, const Identity& who);
  void Forget(int64_t trial_id);
  void TouchGroupOf(int64_t trial_id);
  // The search decides what the results of `sweep_id` allow; stopped trials lose their leases.
  void DecideSearch(int64_t sweep_id);
  // Validates `yaml` and queues its submission.
  Result<std::shared_ptr<Submission>> StartSubmission(const std::string& yaml,
                                                      const std::string& origin,
                                                      const Identity& who);
  // The planner stored a sweep whole: owners, the search and waiting long polls learn of it.
  void SweepStored(const Submission& submission, const SweepSubmission& s);
  // Answers the submissions due with their progress.
  void AnswerDueSubmissions();

  ResultStore* store_;
  ArtifactSink* artifacts_;
  CoordinatorOptions options_;
  Scheduler scheduler_;
  SearchDriver search_;

  std::mutex mu_;
  std::map<int64_t, GroupState> groups_;
  std::map<int64_t, Quarantined> quarantined_;
  std::map<int64_t, HeldLease> leases_;  // by trial id
  std::map<int64_t, std::string> sweep_users_;
  std::deque<Waiter> waiters_;
  std::vector<SubmitReply> submit_replies_;
  int64_t next_expiry_check_ms_ = 0;
  // When a write last failed for a store fault (0: none since the leases were extended).
  int64_t store_fault_ms_ = 0;
  // Last: destroyed first, its thread stopped before the state its callbacks touch.
  std::unique_ptr<SweepPlanner> planner_;
};

}  // namespace chromatune::coordinator
