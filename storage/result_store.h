// ResultStore: the SQLite result store (sweeps, trials and their state machine, attempts,
// metrics, curves, worker groups, users, events). Schema and transitions: docs/schema.md.
//
// One writer. Only the coordinator opens the store read-write (DESIGN.md); the dashboard
// and `chromatune report` open separate read-only stores. SQLite runs in WAL mode, so the
// readers never block the writer and see the last committed state. Every write is one
// `BEGIN IMMEDIATE` transaction (busy_timeout applies if another process holds the write
// lock, e.g. a second coordinator started by mistake: it gets kUnavailable, never a
// half-applied change).
//
// Trial state machine (anything else is refused with kFailedPrecondition, nothing written):
//
//   pending --Lease--> leased --MarkRunning--> running --Complete--> done
//   leased --Complete--> done             (a trial may finish before MarkRunning arrives)
//   leased | running --FailAttempt, ExpireLeases--> pending (retries left) | failed
//   leased | running --ReleaseLease--> pending   (not counted as a failure)
//   pending | leased | running --CancelSweep--> cancelled
//   failed | cancelled --CreateSweep of the same name (resume)--> pending
//   pending | leased | running | done --ApplySearchDecision (a stop)--> stopped
//
// Complete, FailAttempt, RenewLease, MarkRunning and ReleaseLease name (trial, attempt);
// they are accepted only while that attempt is the trial's current one and its lease is
// held (fencing: a worker whose lease expired and whose trial was leased again can never
// store a result, so each trial's result is stored exactly once). done, failed and
// cancelled are terminal for the state machine; only a resubmission of the sweep
// (CreateSweep with the same name, "resume") re-queues failed and cancelled trials.
//
// Retries: a sweep's `retries` is the number of extra attempts after a failure. A trial
// fails for good when its failure count (FailAttempt and lease expiries; ReleaseLease does
// not count) exceeds `retries`, or when FailAttempt says final.
//
// Thread safety: a ResultStore may be used from any number of threads; calls are
// serialized by an internal mutex. Several processes may hold read-only stores on the same
// file while one process writes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/trial_result.h"
#include "storage/sweep_draft.h"
#include "storage/trial_outcome.h"

namespace chromatune {

enum class TrialState { kPending, kLeased, kRunning, kDone, kFailed, kCancelled, kStopped };

// "pending", "leased", "running", "done", "failed", "cancelled", "stopped" (ASHA: the search
// stopped the trial's configuration at a rung; schema 6).
const char* TrialStateName(TrialState state);
// Inverse of TrialStateName; kInvalidArgument naming the text otherwise.
Result<TrialState> ParseTrialState(const std::string& text);
// done, failed, cancelled and stopped.
bool IsTerminal(TrialState state);

enum class StoreMode {
  // Creates the file if missing and migrates the schema to the binary's version.
  kReadWrite,
  // Never writes or creates anything; the file must exist with a schema this binary reads.
  kReadOnly,
};

struct StoreOptions {
  // How long a write waits for another connection's write lock before kUnavailable.
  int busy_timeout_ms = 5000;
  // false (default): SQLite `synchronous = NORMAL` in WAL mode. Every committed transition
  // survives a crash or kill -9 of any process; a power cut or kernel crash may lose the
  // last few commits (the database stays consistent, and those trials simply run again).
  // true: `synchronous = FULL`, an fsync per commit (4.7 ms here vs 0.08 ms), which caps
  // the coordinator's dispatch rate.
  bool sync_every_commit = false;
  // Wall clock in ms since the epoch for created/started/ended stamps; tests inject one.
  std::function<int64_t()> now_ms;
};

// Everything needed to create (or resume) a sweep.
struct NewSweep {
  std::string name;       // unique; the sweep file's `name`
  std::string spec_yaml;  // the sweep file text as submitted (kept for `status` and audit)
  std::string user;       // who submitted it (auth); created in `users` if new
  int priority = 0;       // higher runs first
  int retries = 0;        // extra attempts after a failure (>= 0)
  bool rerun = false;     // true: never reuse finished trials of other sweeps
  // Ownership: a sweep belongs to the user who created it. A resubmission by another user
  // is refused (kAlreadyExists naming the owner) unless `may_resume_others` (an admin);
  // either way the owner stays the creator.
  bool may_resume_others = false;
  // Plan items (experiments/runner.h, `sweep plan --format json` "items"): each an object
  // with at least "key" (string, the trial identity), "method" (string), "shots" (int);
  // "index", "task", "dataset", "data_seed", "train_seed", "params" and
  // "resources": {"ranks": R} (default 1) are read when present. The whole item is stored
  // and handed to the worker unchanged. Keys must be unique within a sweep.
  nlohmann::json items = nlohmann::json::array();
};

struct TrialCounts {
  int64_t pending = 0, leased = 0, running = 0, done = 0, failed = 0, cancelled = 0;
  int64_t stopped = 0;  // stopped early by the search (ASHA)
  int64_t total() const { return pending + leased + running + done + failed + cancelled + stopped; }
  // No trial can change any more without a resubmission.
  bool finished() const { return pending + leased + running == 0; }
};

struct SweepInfo {
  int64_t id = 0;
  std::string name;
  std::string user;
  int priority = 0;
  int retries = 0;
  bool rerun = false;
  bool cancelled = false;  // CancelSweep was called (cleared by a resubmission)
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // last submission or cancellation
  std::string spec_yaml;
  TrialCounts counts;
  // Attempts given back uncharged because the infrastructure failed them (schema 7): a lost
  // grant or lease-ahead reply (a lease that expired before the work started), a release
  // that says so (a worker group ended by a round-mate's hang or crash).
  int64_t infra_requeues = 0;
};

struct TrialRecord {
  int64_t id = 0;  // global, increasing in creation order
  int64_t sweep_id = 0;
  std::string sweep;  // sweep name
  int64_t index = 0;  // plan item "index" (position in the plan)
  std::string key;
  TrialState state = TrialState::kPending;
  int attempt = 0;   // number of the latest attempt (0: never leased)
  int failures = 0;  // failed attempts so far (counts against the sweep's retries)
  int ranks = 1;
  int64_t not_before_ms = 0;     // pending trials are runnable from this time (retry backoff)
  int64_t lease_expires_ms = 0;  // leased/running only
  std::string lease_id;          // leased/running only: the current attempt's lease id
  int64_t worker_group = 0;      // leased/running only
  double progress = 0.0;         // last reported fraction done (0..1) of the attempt
  std::string progress_note;
  std::optional<int64_t> reused_from;  // done trial whose results this one copied
  std::string error;                   // last attempt's error (failed, or retried)
  double wall_seconds = 0.0;           // done only
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  nlohmann::json item;  // the plan item
};

struct AttemptRecord {
  int64_t trial_id = 0;
  int attempt = 0;  // 1, 2, ...
  std::string lease_id;
  int64_t worker_group = 0;
  int64_t leased_ms = 0;
  int64_t started_ms = 0;  // 0 until MarkRunning
  int64_t ended_ms = 0;    // 0 while open
  std::string outcome;     // "" while open, then done | failed | expired | released | cancelled
  std::string error;
};

// A pending trial the scheduler may lease now.
struct RunnableTrial {
  int64_t trial_id = 0;  // creation order: smaller is older
  int64_t sweep_id = 0;
  std::string sweep;
  std::string user;
  int priority = 0;
  int ranks = 1;
  int failures = 0;
};

// Demand of waiting trials per (sweep, ranks): for the scheduler's fair share and for
// `status` to explain why a trial waits.
struct PendingDemand {
  int64_t sweep_id = 0;
  std::string sweep;
  std::string user;
  int priority = 0;
  int ranks = 1;
  int64_t runnable = 0;            // pending with not_before <= now
  int64_t backing_off = 0;         // pending with not_before > now
  int64_t next_not_before_ms = 0;  // earliest not_before among backing_off (0 if none)
};

struct WorkerGroupInfo {
  int64_t id = 0;  // assigned by RegisterWorkerGroup
  std::string host;
  int ranks = 1;
  // One entry per rank (coordinator/protocol/group_devices.h): {"kind": "cpu"}, or {"kind":
  // "cuda", "index": N, "name": ...}; strings ("cpu") from workers before issue 16.
  nlohmann::json devices = nlohmann::json::array();
  std::string version;  // chromatune version of the worker
  std::string state;    // active | gone
  // The user and role of the token that registered the group ('' for groups registered
  // before schema 4). Fencing accepts a trial's reports only from this user; reuse draws
  // only on results of groups whose role is "worker" or "admin" (or '').
  std::string user;
  std::string role;
  int64_t registered_ms = 0;
  int64_t last_heartbeat_ms = 0;
};

// ---- adaptive search (schema 6; experiments/search/, coordinator/search_driver.h) ----

// A trial of a sweep that searches adaptively, as the search driver needs it: its search
// member (the plan item's "search", experiments/search/item_search.h) and its state.
struct SearchTrial {
  int64_t trial_id = 0;
  TrialState state = TrialState::kPending;
  int attempt = 0;
  double progress = 0.0;
  bool reused = false;
  nlohmann::json search;  // the item's "search" member
  nlohmann::json params;  // trials.params_json
  nlohmann::json info;    // trials.info_json (null when none)
  std::string sweep;      // the sweep's name
  std::string method;
  int shots = 0;
  int64_t data_seed = 0;
  int64_t train_seed = 0;
};

// One rung result of a trial: the objective at `epoch` (rung `rung`), first report wins.
struct RungReport {
  int64_t trial_id = 0;
  int rung = 0;
  int64_t epoch = 0;
  double value = 0.0;  // the objective metric
  nlohmann::json metrics = nlohmann::json::object();
  int attempt = 0;
  int64_t reported_ms = 0;
};

// A configuration's decision at a rung (promoted, or stopped), in the order made (id).
struct SearchDecisionRecord {
  int64_t id = 0;
  int64_t sweep_id = 0;
  std::string unit;
  std::string config;
  int rung = 0;
  int64_t epoch = 0;
  double mean = 0.0;
  bool promoted = false;
  int64_t decided_ms = 0;
};

// A TPE suggestion: the configuration `config` got `params` (its trials' full parameters).
struct SearchSuggestion {
  int64_t sweep_id = 0;
  std::string unit;
  std::string config;
  nlohmann::json params;
  int64_t created_ms = 0;
};

// One line of the audit trail: who did what to which sweep, and when.
struct AuditRecord {
  int64_t id = 0;  // increasing
  int64_t time_ms = 0;
  std::string user;
  std::string action;  // submit | resume | cancel | priority
  std::string sweep;
  std::string detail;  // e.g. "priority 0 -> 50", "3 unfinished trials cancelled"
};

struct EventRecord {
  int64_t id = 0;  // increasing
  int64_t time_ms = 0;
  std::string kind;  // e.g. sweep.created, sweep.resumed, sweep.cancelled, trial.failed,
                     // lease.expired, group.registered (docs/schema.md lists them)
  std::optional<int64_t> sweep_id;
  std::optional<int64_t> trial_id;
  std::string message;
};

// One state transition, for ResultStore::Apply (batched writes). Build with the factories.
struct Transition {
  enum class Kind { kLease, kMarkRunning, kRenewLease, kComplete, kFail, kRelease };
  Kind kind = Kind::kLease;
  int64_t trial_id = 0;
  int attempt = 0;               // all but kLease
  int64_t worker_group = 0;      // kLease
  int64_t lease_expires_ms = 0;  // kLease, kRenewLease
  double progress = -1.0;        // kRenewLease: fraction done, < 0 leaves it unchanged
  std::string note;              // kRenewLease progress note; kFail/kRelease error text
  bool infrastructure = false;   // kRelease: counted as an infrastructure re-queue
  std::optional<int64_t> retry_not_before_ms;  // kFail: retry from then; nullopt = final
  TrialResult result;                          // kComplete

  static Transition Lease(int64_t trial_id, int64_t worker_group, int64_t lease_expires_ms);
  static Transition MarkRunning(int64_t trial_id, int attempt);
  static Transition RenewLease(int64_t trial_id, int attempt, int64_t lease_expires_ms,
                               double progress = -1.0, std::string note = "");
  static Transition Complete(int64_t trial_id, int attempt, TrialResult result);
  static Transition Fail(int64_t trial_id, int attempt, std::string error,
                         std::optional<int64_t> retry_not_before_ms);
  static Transition Release(int64_t trial_id, int attempt, std::string reason,
                            bool infrastructure = false);
};

// What one transition did.
struct TransitionOutcome {
  TrialState state = TrialState::kPending;  // the trial's state afterwards
  int attempt = 0;                          // the trial's current attempt afterwards
  std::string lease_id;                     // kLease: the new attempt's lease id
};

struct TrialFilter {
  std::optional<int64_t> sweep_id;
  std::optional<TrialState> state;
  int64_t after_id = 0;  // keyset paging: only trials with id > after_id
  int64_t limit = 1000;  // <= 0: no limit
};

class ResultStore {
 public:
  // Opens (read-write: creates and migrates) the database at `path`.
  // Errors, each naming `path`, with nothing written to the file:
  //  - kCorruption: not an SQLite database, or a damaged one;
  //  - kFailedPrecondition: schema newer than this binary ("upgrade chromatune"), or
  //    read-only on a file without the chromatune schema;
  //  - kNotFound: read-only and the file does not exist;
  //  - kIoError / kPermissionDenied: the directory or file cannot be written or read;
  //  - kResourceExhausted: the disk is full.
  static Result<std::unique_ptr<ResultStore>> Open(const std::string& path, StoreMode mode,
                                                   StoreOptions options = {});
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  const std::string& path() const;
  StoreMode mode() const;
  // Schema version of the open file (== kSchemaVersion after a read-write Open).
  int schema_version() const;
  static const int kSchemaVersion;

  // ---- sweeps ----
  // Creates the sweep and all its trials in ONE transaction (all or nothing): BeginSweep and
  // every StepSweep of a draft, at once (for small sweeps and tests; the coordinator stores
  // submissions with a draft, storage/sweep_draft.h). A new trial
  // whose key equals the key of a done trial of any sweep is created done, with
  // reused_from set and that trial's metrics and curves copied, unless `rerun`.
  // If a sweep with this name exists, this is a resume (ray#16891, wandb#6594) by its owner
  // (another user: kAlreadyExists naming the owner, unless sweep.may_resume_others):
  // priority, retries, rerun and spec are updated, the owner is kept; plan items whose key the
  // sweep lacks are added (with reuse as above); failed and cancelled trials in the plan are
  // re-queued (pending, failure count reset, not_before now); done, pending, leased and running
  // trials are kept; unfinished trials whose key the new plan lacks are cancelled (their
  // results, if any, are kept). Bad items: kInvalidArgument naming items[i].field.
  Result<SweepSubmission> CreateSweep(const NewSweep& sweep);
  // A sweep stored in bounded steps (storage/sweep_draft.h), with CreateSweep's semantics.
  // BeginSweep checks what CreateSweep checks first (the sweep's fields, ownership) and, for
  // a new sweep, creates its row marked planning; kFailedPrecondition when a sweep of that
  // name is being stored already. `sweep.items` is read by the steps: it must outlive the
  // draft, unchanged.
  Result<std::unique_ptr<SweepDraft>> BeginSweep(const NewSweep& sweep);
  // The draft's next step, at most `max_rows` items or rows, in one transaction; true once
  // the sweep is stored and visible. Bad items: kInvalidArgument naming items[i].field, as
  // CreateSweep. A failed step writes nothing but spends the draft: a new sweep's draft is
  // then left for DiscardSweepDraft, a resume is completed by submitting it again.
  Result<bool> StepSweep(SweepDraft* draft, int64_t max_rows);
  // Deletes at most `max_rows` rows of the planning (never finished) sweep `sweep_id` and
  // its trials; true once none is left. kFailedPrecondition for a sweep that is not planning.
  Result<bool> DiscardSweepDraft(int64_t sweep_id, int64_t max_rows);
  // Sweeps still marked planning (a coordinator stopped while storing them): (id, name).
  Result<std::vector<std::pair<int64_t, std::string>>> ListSweepDrafts();
  // Readers never see a planning sweep (kNotFound; left out of lists).
  Result<SweepInfo> GetSweep(const std::string& name);
  Result<SweepInfo> GetSweepById(int64_t sweep_id);
  // All sweeps, newest first, with counts.
  Result<std::vector<SweepInfo>> ListSweeps();
  Result<TrialCounts> CountTrials(int64_t sweep_id);
  // Cancels every pending, leased and running trial of the sweep (open attempts close with
  // outcome "cancelled"; later Complete/Fail for them get kFailedPrecondition). Returns the
  // number of trials cancelled. kNotFound for an unknown name. `by` is recorded in the
  // audit trail, in the same transaction.
  Result<int64_t> CancelSweep(const std::string& name, const std::string& by = "");
  // Sets the sweep's priority, recording "priority OLD -> NEW" by `by` in the audit trail in
  // the same transaction. kNotFound for an unknown name.
  Status SetSweepPriority(const std::string& name, int priority, const std::string& by);
  // The newest `limit` audit records (of `sweep` only, when not empty), newest first.
  // CreateSweep records "submit" or "resume" (and "priority" when a resume changes it).
  Result<std::vector<AuditRecord>> ListAudit(int limit, const std::string& sweep = "");

  // ---- trials ----
  Result<TrialRecord> GetTrial(int64_t trial_id);
  // By filter, ordered by id.
  Result<std::vector<TrialRecord>> ListTrials(const TrialFilter& filter);
  Result<std::vector<AttemptRecord>> ListAttempts(int64_t trial_id);
  // Ok iff `attempt` is the trial's current attempt and it is leased or running; otherwise
  // kFailedPrecondition (or kNotFound). Lets the coordinator check fencing before it
  // writes a result's arrays to HDF5 (write arrays first, then Complete).
  Status CheckCurrentAttempt(int64_t trial_id, int attempt);

  // Pending trials with not_before <= now_ms of sweeps not cancelled: at most
  // `per_sweep_limit` per sweep (oldest first), ordered by priority desc, then trial id.
  // Cost is O(sweeps * per_sweep_limit) via a partial index, independent of how many
  // trials wait.
  Result<std::vector<RunnableTrial>> ListRunnable(int64_t now_ms, int per_sweep_limit);
  Result<std::vector<PendingDemand>> ListPendingDemand(int64_t now_ms);

  // ---- transitions (each one transaction; illegal ones: kFailedPrecondition) ----
  // pending -> leased, opening attempt n+1 with a fresh lease id. The worker group must be
  // registered and active. not_before is advice for ListRunnable, not checked here.
  Result<TransitionOutcome> Lease(int64_t trial_id, int64_t worker_group, int64_t lease_expires_ms);
  // leased -> running (current attempt only).
  Status MarkRunning(int64_t trial_id, int attempt);
  // leased|running: moves the lease expiry (and records progress if >= 0).
  Status RenewLease(int64_t trial_id, int attempt, int64_t lease_expires_ms, double progress = -1.0,
                    const std::string& note = "");
  // leased|running -> done, storing metrics, curves, info and wall_seconds.
  Status Complete(int64_t trial_id, int attempt, const TrialResult& result);
  // leased|running -> pending (retry from retry_not_before_ms, if given and retries are
  // left) or failed. Returns the new state.
  Result<TrialState> FailAttempt(int64_t trial_id, int attempt, const std::string& error,
                                 std::optional<int64_t> retry_not_before_ms);
  // leased|running -> pending, not counted as a failure (a draining worker gives back
  // work it has not finished). `infrastructure`: the attempt was lost to a fault outside the
  // trial (its round-mate hung, its group's store write failed); counted in the trial's and
  // the sweep's infra_requeues.
  Status ReleaseLease(int64_t trial_id, int attempt, const std::string& reason,
                      bool infrastructure = false);
  // Every leased or running trial whose lease_expires_ms < now_ms: attempt closed as
  // "expired" with error "lease expired". A running trial (its work started: MarkRunning)
  // counts a failed attempt (INTERFACES.md, "Failure accounting": a poison trial may be what
  // kills its worker) and goes back to pending after `backoff(failures)` ms, or fails for
  // good when its retries are exhausted; a leased trial that never started (a lost grant)
  // goes back to pending at once, not counted as a failure but as an infrastructure re-queue.
  // Returns what it did per trial.
  struct ExpiredLease {
    int64_t trial_id = 0;
    int attempt = 0;
    int64_t worker_group = 0;
    bool started = false;  // was running: counted as a failure
    TrialState state = TrialState::kPending;
  };
  Result<std::vector<ExpiredLease>> ExpireLeases(
      int64_t now_ms, const std::function<int64_t(int failures)>& backoff_ms = nullptr);

  // Batched writes: applies the transitions in order in ONE transaction (one commit). Each
  // is checked against the state left by the ones before it; an illegal one is refused
  // alone (its inner Result, nothing of it written: every check precedes every write of a
  // transition) without affecting the others. The outer Result fails only if the
  // transaction itself fails (I/O, disk full), in which case nothing of the batch is stored.
  Result<std::vector<Result<TransitionOutcome>>> Apply(std::vector<Transition> batch);

  // ---- adaptive search (schema 6) ----
  // Every trial of the sweep whose plan item has a "search" member, by id.
  Result<std::vector<SearchTrial>> ListSearchTrials(int64_t sweep_id);
  // Records a rung result; false (nothing written) when (trial, rung) was recorded before:
  // a re-leased trial reports its rungs once.
  Result<bool> AddRungReport(const RungReport& report);
  // The rung results of the sweep's trials, by trial id then rung.
  Result<std::vector<RungReport>> ListRungReports(int64_t sweep_id);
  // Stores a suggestion and writes `params` as params_json of the trials `trial_ids` (all in
  // one transaction). kAlreadyExists when the configuration has one (nothing written).
  Status AddSuggestion(const SearchSuggestion& suggestion, const std::vector<int64_t>& trial_ids);
  Result<std::vector<SearchSuggestion>> ListSuggestions(int64_t sweep_id);
  // Stores a decision; for a stop, in the same transaction, every trial of `trial_ids` that
  // is pending, leased, running or done becomes `stopped`: an open attempt closes with
  // outcome "stopped"; a trial without final metrics gets those of its last rung report;
  // info_json gains {"stopped_at_rung", "stopped_at_epoch", "epochs_run"} (epochs_run: its
  // last rung's epoch or the epochs its progress says it trained, whichever is larger; the
  // full schedule for a done trial) and its rung results become "accuracy" curve points.
  // Returns the ids of the trials stopped. kAlreadyExists when (config, rung) is decided.
  Result<std::vector<int64_t>> ApplySearchDecision(const SearchDecisionRecord& decision,
                                                   const std::vector<int64_t>& trial_ids,
                                                   int64_t full_epochs);
  Result<std::vector<SearchDecisionRecord>> ListSearchDecisions(int64_t sweep_id);

  // ---- results ----
  // Final metrics of a trial (name -> value).
  Result<std::map<std::string, double>> GetMetrics(int64_t trial_id);
  // Curve points of a trial ordered by name, then step.
  Result<std::vector<CurvePoint>> GetCurves(int64_t trial_id);
  // The trial's info object (what its result reported, e.g. "device", and what the search
  // added: "stopped_at_rung", "stopped_at_epoch", "epochs_run"); an empty object when none.
  // kNotFound for an unknown trial.
  Result<nlohmann::json> GetTrialInfo(int64_t trial_id);
  // Every trial (all states) of the sweep, or of all sweeps when `sweep` is empty, with
  // its final metrics, ordered by trial id. About 0.25 s of CPU for 100,000 trials
  // (bench/store/RESULTS.md).
  Result<std::vector<TrialOutcome>> ListOutcomes(const std::string& sweep = "");

  // ---- worker groups ----
  // Registers a new group (state active, heartbeat now) and returns its id.
  Result<int64_t> RegisterWorkerGroup(const WorkerGroupInfo& info);
  Status HeartbeatWorkerGroup(int64_t group_id, int64_t now_ms);
  // Marks the group gone (kept for history). Its trials are not touched: their leases
  // expire or the coordinator fails/releases them explicitly.
  Status RemoveWorkerGroup(int64_t group_id);
  Result<std::vector<WorkerGroupInfo>> ListWorkerGroups(bool include_gone);

  // ---- users ----
  // Idempotent.
  Status EnsureUser(const std::string& name);
  Result<std::vector<std::string>> ListUsers();

  // ---- events ----
  Result<int64_t> AppendEvent(const std::string& kind, const std::string& message,
                              std::optional<int64_t> sweep_id = std::nullopt,
                              std::optional<int64_t> trial_id = std::nullopt);
  // The newest `limit` events with id > after_id, oldest first.
  Result<std::vector<EventRecord>> ListEvents(int64_t after_id, int limit);

  class Impl;

 private:
  explicit ResultStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chromatune
