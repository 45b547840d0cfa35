#include "coordinator/coordinator.h"

#include <algorithm>
#include <atomic>

#include "common/log.h"
#include "common/wall_clock.h"
#include "coordinator/auth.h"
#include "coordinator/data_roots.h"
#include "coordinator/store_fault.h"
#include "coordinator/wait_reason.h"
#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"
#include "storage/trial_counts_json.h"

namespace chromatune::coordinator {
namespace {

// How many waiting trials `status` lists one by one (the rest are counted per group).
constexpr int64_t kListedWaitingTrials = 50;
// Audit records in `status`; GET /api/v1/audit serves more.
constexpr int kStatusAuditRecords = 20;
// Quarantined groups remembered (for status and their stop message), oldest dropped first.
constexpr size_t kRememberedQuarantines = 100;

nlohmann::json AuditJson(const std::vector<AuditRecord>& records) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : records) {
    out.push_back({{"time_ms", a.time_ms},
                   {"user", a.user},
                   {"action", a.action},
                   {"sweep", a.sweep},
                   {"detail", a.detail}});
  }
  return out;
}

}  // namespace

Coordinator::Coordinator(ResultStore* store, ArtifactSink* artifacts, CoordinatorOptions options)
    : store_(store), artifacts_(artifacts), options_(std::move(options)), search_(store) {
  if (!options_.now_ms) options_.now_ms = WallClockMs;
  SweepPlannerOptions planner;
  planner.rows_per_step = options_.plan_rows_per_step;
  planner.now_ms = options_.now_ms;
  planner_ = std::make_unique<SweepPlanner>(
      store_, [this](const Submission& sub, const SweepSubmission& s) { SweepStored(sub, s); },
      planner);
}

int64_t Coordinator::Now() const { return options_.now_ms(); }

Status Coordinator::StoreWrite(const Status& s, const std::string& what) {
  if (!s.ok() && IsStoreFault(s)) {
    if (store_fault_ms_ == 0) spdlog::error("coordinator: cannot {}: {}", what, s.ToString());
    store_fault_ms_ = Now();
  }
  return RetryLater(s, what);
}

Status Coordinator::ExtendHeldLeases(int64_t now) {
  for (const auto& [trial_id, held] : leases_) {
    Status s = store_->RenewLease(trial_id, held.attempt, now + options_.lease_timeout.count());
    // A lease the store no longer holds (ended meanwhile) is not this method's business.
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  }
  return Status::Ok();
}

Result<std::string> Coordinator::SweepUser(int64_t sweep_id) {
  auto it = sweep_users_.find(sweep_id);
  if (it != sweep_users_.end()) return it->second;
  CT_ASSIGN_OR_RETURN(SweepInfo info, store_->GetSweepById(sweep_id));
  sweep_users_[sweep_id] = info.user;
  return info.user;
}

Status Coordinator::Recover() {
  // All or nothing: a sweep the last coordinator was storing is deleted, never half-run.
  CT_RETURN_IF_ERROR(planner_->DiscardDrafts().status());
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = Now();
  CT_ASSIGN_OR_RETURN(auto all_groups, store_->ListWorkerGroups(/*include_gone=*/true));
  std::map<int64_t, std::string> owners;
  std::vector<WorkerGroupInfo> groups;
  for (auto& g : all_groups) {
    owners[g.id] = g.user;
    if (g.state == "active") groups.push_back(std::move(g));
  }
  for (const auto& g : groups)
    groups_[g.id] = GroupState{g.ranks, g.host, now, "", g.user, 0, g.devices};
  int64_t extended = 0;
  for (TrialState state : {TrialState::kLeased, TrialState::kRunning}) {
    TrialFilter filter;
    filter.state = state;
    filter.limit = 0;
    CT_ASSIGN_OR_RETURN(auto trials, store_->ListTrials(filter));
    for (const auto& t : trials) {
      CT_ASSIGN_OR_RETURN(std::string user, SweepUser(t.sweep_id));
      leases_[t.id] = HeldLease{t.worker_group, t.ranks,
                                t.sweep_id,     user,
                                t.attempt,      state == TrialState::kRunning,
                                t.lease_id,     owners[t.worker_group]};
      ++extended;
    }
  }
  CT_RETURN_IF_ERROR(ExtendHeldLeases(now));
  // The search's rows may allow decisions a crash kept from being made: make them now.
  CT_ASSIGN_OR_RETURN(auto sweeps, store_->ListSweeps());
  for (const auto& s : sweeps) {
    if (!s.counts.finished()) DecideSearch(s.id);
  }
  if (!groups.empty() || extended > 0) {
    spdlog::info("coordinator: recovered {} worker groups and {} held leases (extended by {} ms)",
                 groups_.size(), extended, options_.lease_timeout.count());
  }
  return Status::Ok();
}

Result<Coordinator::Registration> Coordinator::RegisterGroup(const WorkerGroupInfo& info,
                                                             const std::string& label) {
  if (info.ranks < 1 || info.ranks > options_.max_group_ranks) {
    return InvalidArgument("worker group of " + std::to_string(info.ranks) +
                           " ranks: a group registers 1 to " +
                           std::to_string(options_.max_group_ranks) +
                           " ranks (one mpirun or srun step; start several groups for more)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto registered = store_->RegisterWorkerGroup(info);
  if (!registered.ok()) return StoreWrite(registered.status(), "register worker groups");
  const int64_t id = *registered;
  groups_[id] = GroupState{info.ranks, info.host, Now(), label, info.user, 0, info.devices};
  spdlog::info("coordinator: worker group {} registered ({} ranks on {}, user {})", id, info.ranks,
               info.host, info.user);
  Registration r;
  r.group_id = id;
  r.lease_timeout_ms = options_.lease_timeout.count();
  r.heartbeat_interval_ms = std::max<int64_t>(1, options_.lease_timeout.count() / 3);
  return r;
}

std::set<std::string> Coordinator::GroupLabels() {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> labels;
  for (const auto& [id, g] : groups_) {
    if (!g.label.empty()) labels.insert(g.label);
  }
  return labels;
}

Result<std::vector<LeaseGrant>> Coordinator::TryLease(int64_t group_id, int free_ranks,
                                                      int max_trials) {
  const int64_t now = Now();
  std::vector<LeaseGrant> grants;
  // Never more than max_held_rounds rounds of the group's registered ranks at once.
  auto group = groups_.find(group_id);
  if (group == groups_.end()) return grants;
  int held = 0;
  for (const auto& [trial, lease] : leases_) {
    if (lease.group_id == group_id) held += lease.ranks;
  }
  free_ranks = std::min(free_ranks, options_.max_held_rounds * group->second.ranks - held);
  if (free_ranks <= 0) return grants;
  CT_ASSIGN_OR_RETURN(auto runnable, store_->ListRunnable(now, options_.runnable_per_sweep));
  if (runnable.empty()) return grants;
  SchedulingContext ctx;
  ctx.free_ranks = free_ranks;
  for (const auto& [trial, held] : leases_) {
    ctx.ranks_in_use_by_sweep[held.sweep_id] += held.ranks;
    ctx.ranks_in_use_by_user[held.user] += held.ranks;
  }
  for (const auto& pick : scheduler_.PickMany(std::move(runnable), ctx, max_trials)) {
    auto outcome = store_->Lease(pick.trial_id, group_id, now + options_.lease_timeout.count());
    if (!outcome.ok() && IsStoreFault(outcome.status())) {
      // Nothing leased: the store takes no writes (disk full). Say so; workers retry.
      Status refused = StoreWrite(outcome.status(), "lease new work");
      if (grants.empty()) return refused;
      break;
    }
    if (!outcome.ok()) {
      // Raced with a state change (e.g. cancel); skip this one.
      spdlog::warn("coordinator: lease of trial {} refused: {}", pick.trial_id,
                   outcome.status().ToString());
      continue;
    }
    CT_ASSIGN_OR_RETURN(TrialRecord trial, store_->GetTrial(pick.trial_id));
    // A TPE slot gets its configuration (suggested now on its group's first lease).
    if (Status prepared = search_.PrepareGrant(pick.sweep_id, pick.trial_id, &trial.item);
        !prepared.ok()) {
      spdlog::error("coordinator: trial {}: no configuration to run: {}", pick.trial_id,
                    prepared.ToString());
      (void)store_->ReleaseLease(pick.trial_id, outcome->attempt, "search: " + prepared.message());
      continue;
    }
    leases_[pick.trial_id] =
        HeldLease{group_id,         pick.ranks, pick.sweep_id,     pick.user,
                  outcome->attempt, false,      outcome->lease_id, group->second.owner};
    grants.push_back(LeaseGrant{pick.trial_id, outcome->attempt, outcome->lease_id, pick.ranks,
                                pick.sweep, std::move(trial.item)});
  }
  return grants;
}

Status Coordinator::QuarantineError(int64_t group_id, const Quarantined& q) const {
  return Cancelled("worker group " + std::to_string(group_id) + " (host " + q.host + ") is " +
                   kQuarantinedMessage + ": " + q.reason +
                   "; stop this worker and check it (shown in `chromatune status`)");
}

Status Coordinator::CheckGroupAccess(int64_t group_id, const std::string& user) {
  auto q = quarantined_.find(group_id);
  if (q != quarantined_.end()) return QuarantineError(group_id, q->second);
  auto group = groups_.find(group_id);
  if (group == groups_.end()) {
    return NotFound("worker group " + std::to_string(group_id) +
                    " is not registered (or was marked gone): register again");
  }
  if (group->second.owner != user) {
    return PermissionDenied("user " + user + " may not lease for worker group " +
                            std::to_string(group_id) + ": it was registered by " +
                            group->second.owner +
                            " (a group leases with the token that registered it)");
  }
  return Status::Ok();
}

void Coordinator::Lease(int64_t group_id, int free_ranks, int max_trials, int64_t wait_ms,
                        LeaseCallback done, const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status access = CheckGroupAccess(group_id, user); !access.ok()) {
    done(access);
    return;
  }
  auto group = groups_.find(group_id);
  group->second.last_seen_ms = Now();
  free_ranks = std::min(free_ranks, group->second.ranks);
  // An older waiting request of this group belongs to a connection the worker gave up.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->group_id == group_id) {
      it->done(std::vector<LeaseGrant>{});
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  auto grants = TryLease(group_id, free_ranks, max_trials);
  if (!grants.ok() || !grants->empty() || wait_ms <= 0) {
    done(std::move(grants));
    return;
  }
  wait_ms = std::min<int64_t>(wait_ms, options_.max_long_poll.count());
  waiters_.push_back(Waiter{group_id, free_ranks, max_trials, Now() + wait_ms, std::move(done)});
}

void Coordinator::ServeWaiters() {
  const int64_t now = Now();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    auto group = groups_.find(it->group_id);
    if (group != groups_.end()) group->second.last_seen_ms = now;
    auto grants = TryLease(it->group_id, it->free_ranks, it->max_trials);
    if (!grants.ok() || !grants->empty() || it->deadline_ms <= now) {
      it->done(std::move(grants));
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

void Coordinator::TouchGroupOf(int64_t trial_id) {
  auto held = leases_.find(trial_id);
  if (held == leases_.end()) return;
  auto group = groups_.find(held->second.group_id);
  if (group != groups_.end()) group->second.last_seen_ms = Now();
}

void Coordinator::Forget(int64_t trial_id) { leases_.erase(trial_id); }

Result<std::string> Coordinator::GroupOwner(int64_t group_id) {
  if (auto g = groups_.find(group_id); g != groups_.end()) return g->second.owner;
  if (auto q = quarantined_.find(group_id); q != quarantined_.end()) return q->second.owner;
  CT_ASSIGN_OR_RETURN(auto all, store_->ListWorkerGroups(/*include_gone=*/true));
  for (const auto& g : all) {
    if (g.id == group_id) return g.user;
  }
  return NotFound("worker group " + std::to_string(group_id) + " is unknown");
}

Status Coordinator::CheckClaim(int64_t trial_id, const LeaseClaim& claim, const char* what) {
  const std::string prefix = std::string("cannot ") + what + " trial " + std::to_string(trial_id) +
                             " attempt " + std::to_string(claim.attempt) + ": ";
  auto held = leases_.find(trial_id);
  if (held == leases_.end() || held->second.attempt != claim.attempt) {
    // A quarantined group's late reports are told to stop.
    auto attempts = store_->ListAttempts(trial_id);
    if (attempts.ok()) {
      for (const auto& a : *attempts) {
        auto q = quarantined_.find(a.worker_group);
        if (a.attempt == claim.attempt && q != quarantined_.end() &&
            ConstantTimeEquals(a.lease_id, claim.lease_id)) {
          return QuarantineError(a.worker_group, q->second);
        }
      }
    }
    return FailedPrecondition(prefix +
                              "it does not hold the trial's lease (stale attempt: the "
                              "lease expired, was released or went to another attempt)");
  }
  if (!ConstantTimeEquals(held->second.lease_id, claim.lease_id)) {
    return FailedPrecondition(prefix + "the lease id is not the one granted with this attempt");
  }
  if (held->second.owner != claim.user) {
    return PermissionDenied(prefix + "user " + claim.user +
                            " may not report on it: its lease is held by a worker group of user " +
                            held->second.owner);
  }
  auto q = quarantined_.find(held->second.group_id);
  if (q != quarantined_.end()) return QuarantineError(held->second.group_id, q->second);
  return Status::Ok();
}

Status Coordinator::CheckClosedClaim(int64_t trial_id, const LeaseClaim& claim) {
  CT_ASSIGN_OR_RETURN(auto attempts, store_->ListAttempts(trial_id));
  for (const auto& a : attempts) {
    if (a.attempt != claim.attempt) continue;
    if (!ConstantTimeEquals(a.lease_id, claim.lease_id)) break;
    CT_ASSIGN_OR_RETURN(std::string owner, GroupOwner(a.worker_group));
    if (owner != claim.user) break;
    return Status::Ok();
  }
  return FailedPrecondition("trial " + std::to_string(trial_id) + " attempt " +
                            std::to_string(claim.attempt) + ": not this lease");
}

void Coordinator::GroupWorked(int64_t group_id) {
  auto group = groups_.find(group_id);
  if (group != groups_.end()) group->second.expired_in_a_row = 0;
}

Result<bool> Coordinator::Heartbeat(int64_t trial_id, const LeaseClaim& claim, double progress,
                                    const std::string& note) {
  CT_ASSIGN_OR_RETURN(HeartbeatAnswer a, Heartbeat(trial_id, claim, progress, note, std::nullopt));
  return a.cancel || a.stop;
}

void Coordinator::DecideSearch(int64_t sweep_id) {
  auto stopped = search_.Decide(sweep_id);
  if (!stopped.ok()) {
    spdlog::error("coordinator: search of sweep {}: {}", sweep_id, stopped.status().ToString());
    return;
  }
  for (int64_t id : *stopped) Forget(id);
}

Result<HeartbeatAnswer> Coordinator::Heartbeat(int64_t trial_id, const LeaseClaim& claim,
                                               double progress, const std::string& note,
                                               const std::optional<RungResult>& rung,
                                               bool started) {
  std::lock_guard<std::mutex> lock(mu_);
  Status claimed = CheckClaim(trial_id, claim, "heartbeat");
  if (!claimed.ok()) {
    // The sweep was cancelled (its leases forgotten), or the search stopped the trial's
    // configuration: tell the holder to stop the trial.
    if (claimed.code() == StatusCode::kFailedPrecondition) {
      auto trial = store_->GetTrial(trial_id);
      if (trial.ok() &&
          (trial->state == TrialState::kCancelled || trial->state == TrialState::kStopped) &&
          trial->attempt == claim.attempt && CheckClosedClaim(trial_id, claim).ok()) {
        HeartbeatAnswer a;
        (trial->state == TrialState::kCancelled ? a.cancel : a.stop) = true;
        return a;
      }
    }
    return claimed;
  }
  auto held = leases_.find(trial_id);
  const int64_t sweep_id = held->second.sweep_id;
  if (rung) {
    CT_RETURN_IF_ERROR(search_.Record(sweep_id, trial_id, claim.attempt, {*rung}));
    DecideSearch(sweep_id);
    CT_ASSIGN_OR_RETURN(bool stop, search_.Stopped(sweep_id, trial_id));
    if (stop) return HeartbeatAnswer{false, true};
    held = leases_.find(trial_id);
    if (held == leases_.end()) return HeartbeatAnswer{false, true};
  }
  if (!held->second.running && started) {
    Status s = store_->MarkRunning(trial_id, claim.attempt);
    if (s.ok()) held->second.running = true;
  }
  Status s = store_->RenewLease(trial_id, claim.attempt, Now() + options_.lease_timeout.count(),
                                progress, note);
  if (s.ok()) {
    TouchGroupOf(trial_id);
    return HeartbeatAnswer{};
  }
  if (IsStoreFault(s)) {
    TouchGroupOf(trial_id);  // the group is alive; its lease is extended once writes work
    return StoreWrite(s, "renew leases");
  }
  if (s.code() == StatusCode::kFailedPrecondition) {
    auto trial = store_->GetTrial(trial_id);
    if (trial.ok() && trial->state == TrialState::kCancelled) {
      Forget(trial_id);
      return HeartbeatAnswer{true, false};
    }
  }
  return s;
}

Result<bool> Coordinator::Complete(int64_t trial_id, const LeaseClaim& claim,
                                   const TrialResult& result) {
  std::lock_guard<std::mutex> lock(mu_);
  Status claimed = CheckClaim(trial_id, claim, "complete");
  if (!claimed.ok()) {
    if (claimed.code() == StatusCode::kFailedPrecondition) {
      auto trial = store_->GetTrial(trial_id);
      if (trial.ok() && trial->state == TrialState::kDone && trial->attempt == claim.attempt &&
          !trial->reused_from && CheckClosedClaim(trial_id, claim).ok()) {
        return true;  // this attempt's result is already stored: a retried request
      }
    }
    return claimed;
  }
  const int attempt = claim.attempt;
  CT_RETURN_IF_ERROR(store_->CheckCurrentAttempt(trial_id, attempt));
  const int64_t group_id = leases_[trial_id].group_id;
  const int64_t sweep_id = leases_[trial_id].sweep_id;
  // Rung results that came with the result (short trials never heartbeat) count first.
  if (result.info.is_object() && result.info.contains("rungs") && result.info["rungs"].is_array()) {
    std::vector<RungResult> rungs;
    for (const auto& j : result.info["rungs"]) {
      auto r = ParseRungResult(j, "result.info.rungs");
      if (r.ok()) rungs.push_back(std::move(r).value());
    }
    CT_RETURN_IF_ERROR(
        StoreWrite(search_.Record(sweep_id, trial_id, attempt, rungs), "store results"));
  }
  TouchGroupOf(trial_id);
  if (!result.arrays.empty()) {
    if (artifacts_ == nullptr) {
      spdlog::warn("coordinator: trial {}: no artifact store, {} arrays dropped", trial_id,
                   result.arrays.size());
    } else {
      CT_ASSIGN_OR_RETURN(TrialRecord trial, store_->GetTrial(trial_id));
      Status written = artifacts_->WriteTrial(trial.sweep, trial_id, attempt, trial.item, result);
      if (IsStoreFault(written)) {
        // Not the trial's fault (the HDF5 file is locked by a reader, the disk is full): the
        // worker keeps the result and sends it again; its lease lasts meanwhile.
        (void)store_->RenewLease(trial_id, attempt, Now() + options_.lease_timeout.count());
        return StoreWrite(written, "store results");
      }
      if (!written.ok()) {
        // Nothing of the result is stored; the attempt fails and is retried per the sweep.
        const std::string error = "storing arrays: " + written.ToString();
        auto failed = store_->FailAttempt(trial_id, attempt, error,
                                          Now() + options_.retry_backoff_base.count());
        if (failed.ok()) Forget(trial_id);
        return Internal(error);
      }
    }
  }
  CT_RETURN_IF_ERROR(StoreWrite(store_->Complete(trial_id, attempt, result), "store results"));
  Forget(trial_id);
  GroupWorked(group_id);
  if (Status s = search_.RecordFinal(sweep_id, trial_id, result.metrics); !s.ok()) {
    spdlog::error("coordinator: search: trial {}: {}", trial_id, s.ToString());
  }
  DecideSearch(sweep_id);
  return false;
}

int64_t Coordinator::Backoff(int failures) const {
  const int shift = std::clamp(failures - 1, 0, 20);
  return std::min<int64_t>(options_.retry_backoff_base.count() << shift,
                           options_.retry_backoff_max.count());
}

Result<TrialState> Coordinator::Fail(int64_t trial_id, const LeaseClaim& claim,
                                     const std::string& error, bool final) {
  std::lock_guard<std::mutex> lock(mu_);
  CT_RETURN_IF_ERROR(CheckClaim(trial_id, claim, "fail"));
  CT_ASSIGN_OR_RETURN(TrialRecord trial, store_->GetTrial(trial_id));
  std::optional<int64_t> retry_at;
  if (!final) retry_at = Now() + Backoff(trial.failures + 1);
  const int64_t group_id = leases_[trial_id].group_id;
  const int64_t sweep_id = leases_[trial_id].sweep_id;
  auto failed = store_->FailAttempt(trial_id, claim.attempt, error, retry_at);
  if (!failed.ok()) return StoreWrite(failed.status(), "record failed attempts");
  const TrialState state = *failed;
  Forget(trial_id);
  GroupWorked(group_id);
  if (state == TrialState::kFailed && search_.Drop(sweep_id, trial_id).ok()) {
    DecideSearch(sweep_id);
  }
  spdlog::info("coordinator: trial {} attempt {} failed ({}): {}", trial_id, claim.attempt,
               TrialStateName(state), error);
  return state;
}

Status Coordinator::Release(int64_t trial_id, const LeaseClaim& claim, const std::string& reason,
                            bool infrastructure) {
  std::lock_guard<std::mutex> lock(mu_);
  CT_RETURN_IF_ERROR(CheckClaim(trial_id, claim, "release"));
  const int64_t group_id = leases_[trial_id].group_id;
  CT_RETURN_IF_ERROR(StoreWrite(
      store_->ReleaseLease(trial_id, claim.attempt, reason, infrastructure), "give trials back"));
  Forget(trial_id);
  GroupWorked(group_id);
  ServeWaiters();
  return Status::Ok();
}

Status Coordinator::CheckPriority(int64_t priority, const Identity& who) {
  if (who.role == Role::kAdmin) return Status::Ok();
  const int64_t limit = options_.max_user_priority;
  if (priority < -limit || priority > limit) {
    return InvalidArgument("priority " + std::to_string(priority) + " of user " + who.user +
                           " is outside [-" + std::to_string(limit) + ", " + std::to_string(limit) +
                           "]: --max-user-priority bounds what non-admin users may ask");
  }
  return Status::Ok();
}

Status Coordinator::CheckOwner(const std::string& name, const Identity& who, const char* what) {
  CT_ASSIGN_OR_RETURN(SweepInfo info, store_->GetSweep(name));
  if (who.role == Role::kAdmin || info.user == who.user) return Status::Ok();
  return PermissionDenied("user " + who.user + " may not " + what + " sweep \"" + name +
                          "\" owned by " + info.user + ": users act on their own sweeps only");
}

Result<std::shared_ptr<Submission>> Coordinator::StartSubmission(const std::string& yaml,
                                                                 const std::string& origin,
                                                                 const Identity& who) {
  // Parsing is quick; planning (expansion) and storing run on the planner thread.
  CT_ASSIGN_OR_RETURN(SweepSpec spec, ParseSweep(yaml, origin));
  CT_RETURN_IF_ERROR(CheckDataRoots(spec, options_.data_roots));
  CT_RETURN_IF_ERROR(CheckPriority(spec.priority, who).WithContext(origin + ": priority"));
  return planner_->Submit(std::move(spec), who);
}

void Coordinator::SweepStored(const Submission& sub, const SweepSubmission& s) {
  std::lock_guard<std::mutex> lock(mu_);
  sweep_users_.erase(s.sweep_id);  // the owner: the creator, who may not be the submitter
  search_.Invalidate(s.sweep_id);  // a resubmission may add replicates to a group
  spdlog::info("coordinator: sweep {} {} by {}: {} trials ({} new, {} reused, {} re-queued)",
               sub.sweep(), s.resumed ? "resumed" : "submitted", sub.who().user,
               s.created + s.reused + s.requeued + s.unchanged, s.created, s.reused, s.requeued);
  ServeWaiters();
}

Result<nlohmann::json> Coordinator::SubmitSweep(const std::string& yaml, const std::string& origin,
                                                const Identity& who) {
  CT_ASSIGN_OR_RETURN(auto sub, StartSubmission(yaml, origin, who));
  sub->Wait();
  return sub->Outcome();
}

void Coordinator::SubmitSweep(const std::string& yaml, const std::string& origin,
                              const Identity& who, SubmitCallback done) {
  auto sub = StartSubmission(yaml, origin, who);
  if (!sub.ok()) {
    done(sub.status());
    return;
  }
  // Whichever comes first answers: the outcome (planner thread) or the deadline (Tick).
  auto answered = std::make_shared<std::atomic<bool>>(false);
  auto answer = std::make_shared<std::function<void(Result<nlohmann::json>)>>(
      [answered, done = std::move(done)](Result<nlohmann::json> r) {
        if (!answered->exchange(true)) done(std::move(r));
      });
  {
    std::lock_guard<std::mutex> lock(mu_);
    submit_replies_.push_back(
        SubmitReply{*sub, Now() + options_.submit_answer_within.count(), answer});
  }
  std::weak_ptr<Submission> weak = *sub;
  (*sub)->OnFinished([weak, answer] {
    if (auto s = weak.lock()) (*answer)(s->Outcome());
  });
}

void Coordinator::AnswerDueSubmissions() {
  const int64_t now = Now();
  for (auto it = submit_replies_.begin(); it != submit_replies_.end();) {
    if (it->submission->finished()) {
      it = submit_replies_.erase(it);  // answered by the planner thread
    } else if (it->deadline_ms <= now) {
      (*it->answer)(it->submission->ToJson());
      it = submit_replies_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<nlohmann::json> Coordinator::SubmissionReport(const std::string& name) {
  if (auto sub = planner_->Find(name)) return sub->ToJson();
  CT_ASSIGN_OR_RETURN(SweepInfo info, store_->GetSweep(name));
  return nlohmann::json{{"sweep", info.name}, {"user", info.user}, {"state", "ready"}};
}

Result<int64_t> Coordinator::CancelSweep(const std::string& name, const Identity& who) {
  // A submission in progress first: no step of it runs after this.
  if (auto sub = planner_->Find(name); sub && !sub->finished()) {
    if (who.role != Role::kAdmin && sub->who().user != who.user) {
      return PermissionDenied("user " + who.user + " may not cancel sweep \"" + name +
                              "\" submitted by " + sub->who().user +
                              ": users act on their own sweeps only");
    }
    if (planner_->Cancel(name)) {
      spdlog::info("coordinator: submission of sweep {} cancelled by {}", name, who.user);
      auto stored = store_->GetSweep(name);  // a resume's sweep is cancelled below
      if (!stored.ok() && stored.status().code() == StatusCode::kNotFound) return 0;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  CT_RETURN_IF_ERROR(CheckOwner(name, who, "cancel"));
  CT_ASSIGN_OR_RETURN(SweepInfo info, store_->GetSweep(name));
  CT_ASSIGN_OR_RETURN(int64_t n, store_->CancelSweep(name, who.user));
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->second.sweep_id == info.id ? leases_.erase(it) : std::next(it);
  }
  spdlog::info("coordinator: sweep {} cancelled by {} ({} trials)", name, who.user, n);
  return n;
}

Status Coordinator::SetPriority(const std::string& name, int priority, const Identity& who) {
  std::lock_guard<std::mutex> lock(mu_);
  CT_RETURN_IF_ERROR(CheckPriority(priority, who));
  CT_RETURN_IF_ERROR(CheckOwner(name, who, "set the priority of"));
  CT_RETURN_IF_ERROR(store_->SetSweepPriority(name, priority, who.user));
  spdlog::info("coordinator: sweep {}: priority {} set by {}", name, priority, who.user);
  ServeWaiters();
  return Status::Ok();
}

Result<nlohmann::json> Coordinator::AuditReport(int limit, const std::string& sweep) {
  CT_ASSIGN_OR_RETURN(auto records, store_->ListAudit(limit, sweep));
  return AuditJson(records);
}

Result<nlohmann::json> Coordinator::SweepReport(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  CT_ASSIGN_OR_RETURN(SweepInfo s, store_->GetSweep(name));
  // The oldest running trial's last progress note (e.g. "pretraining backbone: step
  // 300/1500"): what a sweep with nothing finished yet is doing.
  TrialFilter running;
  running.sweep_id = s.id;
  running.state = TrialState::kRunning;
  running.limit = 1;
  CT_ASSIGN_OR_RETURN(auto oldest, store_->ListTrials(running));
  return nlohmann::json{{"name", s.name},
                        {"user", s.user},
                        {"priority", s.priority},
                        {"retries", s.retries},
                        {"cancelled", s.cancelled},
                        {"created_ms", s.created_ms},
                        {"infra_requeues", s.infra_requeues},
                        {"counts", TrialCountsJson(s.counts)},
                        {"running_note", oldest.empty() ? "" : oldest[0].progress_note}};
}

Result<nlohmann::json> Coordinator::StatusReport() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = Now();
  nlohmann::json out;
  out["now_ms"] = now;
  out["lease_timeout_ms"] = options_.lease_timeout.count();
  nlohmann::json sweeps = nlohmann::json::array();
  CT_ASSIGN_OR_RETURN(auto infos, store_->ListSweeps());
  for (const auto& s : infos) {
    sweeps.push_back({{"name", s.name},
                      {"user", s.user},
                      {"priority", s.priority},
                      {"retries", s.retries},
                      {"cancelled", s.cancelled},
                      {"infra_requeues", s.infra_requeues},
                      {"counts", TrialCountsJson(s.counts)}});
  }
  out["sweeps"] = std::move(sweeps);
  nlohmann::json planning = nlohmann::json::array();
  for (const auto& sub : planner_->InProgress()) planning.push_back(sub->ToJson());
  out["planning"] = std::move(planning);

  std::vector<GroupCapacity> capacity;
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [id, g] : groups_) {
    int used = 0;
    nlohmann::json trials = nlohmann::json::array();
    for (const auto& [trial, held] : leases_) {
      if (held.group_id != id) continue;
      used += held.ranks;
      trials.push_back(trial);
    }
    const int free_ranks = std::max(0, g.ranks - used);
    capacity.push_back(GroupCapacity{id, g.ranks, free_ranks});
    groups.push_back({{"id", id},
                      {"host", g.host},
                      {"ranks", g.ranks},
                      {"devices", g.devices},
                      {"free_ranks", free_ranks},
                      {"trials", std::move(trials)},
                      {"user", g.owner},
                      {"expired_in_a_row", g.expired_in_a_row},
                      {"last_seen_ms_ago", now - g.last_seen_ms}});
    if (!g.label.empty()) groups.back()["label"] = g.label;
  }
  out["groups"] = std::move(groups);
  nlohmann::json quarantined = nlohmann::json::array();
  for (const auto& [id, q] : quarantined_) {
    quarantined.push_back({{"id", id},
                           {"host", q.host},
                           {"user", q.owner},
                           {"since_ms_ago", now - q.since_ms},
                           {"reason", q.reason}});
    if (!q.label.empty()) quarantined.back()["label"] = q.label;
  }
  out["quarantined_groups"] = std::move(quarantined);

  CT_ASSIGN_OR_RETURN(auto demand, store_->ListPendingDemand(now));
  std::map<std::pair<int64_t, int>, std::string> reasons;
  nlohmann::json waiting = nlohmann::json::array();
  for (const auto& d : demand) {
    int64_t ahead = 0;
    for (const auto& other : demand) {
      if (other.priority > d.priority) ahead += other.runnable;
    }
    std::string reason = ExplainWait(d, capacity, now, ahead);
    reasons[{d.sweep_id, d.ranks}] = reason;
    waiting.push_back({{"sweep", d.sweep},
                       {"user", d.user},
                       {"ranks", d.ranks},
                       {"runnable", d.runnable},
                       {"backing_off", d.backing_off},
                       {"reason", reason}});
  }
  out["waiting"] = std::move(waiting);

  TrialFilter filter;
  filter.state = TrialState::kPending;
  filter.limit = kListedWaitingTrials;
  CT_ASSIGN_OR_RETURN(auto pending, store_->ListTrials(filter));
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& t : pending) {
    auto r = reasons.find({t.sweep_id, t.ranks});
    nlohmann::json entry = {{"trial_id", t.id},
                            {"sweep", t.sweep},
                            {"ranks", t.ranks},
                            {"failures", t.failures},
                            {"reason", r == reasons.end() ? "sweep cancelled" : r->second}};
    if (!t.error.empty()) entry["last_error"] = t.error;
    listed.push_back(std::move(entry));
  }
  out["waiting_trials"] = std::move(listed);
  CT_ASSIGN_OR_RETURN(auto audit, store_->ListAudit(kStatusAuditRecords));
  out["audit"] = AuditJson(audit);
  return out;
}

Status Coordinator::ExpireLeases() {
  if (store_fault_ms_ > 0) {
    // The store took no writes for a while, heartbeats included: holders get a full lease
    // timeout from now to renew, rather than expiries charged to their trials.
    CT_RETURN_IF_ERROR(StoreWrite(ExtendHeldLeases(Now()), "extend leases"));
    spdlog::warn("coordinator: the store takes writes again; {} held leases extended by {} ms",
                 leases_.size(), options_.lease_timeout.count());
    store_fault_ms_ = 0;
    return Status::Ok();
  }
  CT_ASSIGN_OR_RETURN(auto expired, store_->ExpireLeases(
                                        Now(), [this](int failures) { return Backoff(failures); }));
  std::map<int64_t, int64_t> last_trial;  // groups whose leases expired: the last trial
  for (const auto& e : expired) {
    spdlog::warn("coordinator: lease of trial {} attempt {} (group {}) expired{}; now {}",
                 e.trial_id, e.attempt, e.worker_group,
                 e.started ? "" : " before the work started (not counted)",
                 TrialStateName(e.state));
    if (e.state == TrialState::kFailed) {
      auto held = leases_.find(e.trial_id);
      if (held != leases_.end() && search_.Drop(held->second.sweep_id, e.trial_id).ok()) {
        DecideSearch(held->second.sweep_id);
      }
    }
    Forget(e.trial_id);
    auto group = groups_.find(e.worker_group);
    if (group == groups_.end()) continue;
    ++group->second.expired_in_a_row;
    last_trial[e.worker_group] = e.trial_id;
  }
  for (const auto& [group_id, trial_id] : last_trial) {
    auto group = groups_.find(group_id);
    if (group->second.expired_in_a_row < options_.quarantine_after_expiries) continue;
    Quarantine(group_id, std::to_string(group->second.expired_in_a_row) +
                             " of its leases in a row expired without a report (the last of "
                             "trial " +
                             std::to_string(trial_id) + ")");
  }
  return Status::Ok();
}

void Coordinator::Quarantine(int64_t group_id, const std::string& reason) {
  auto group = groups_.find(group_id);
  if (group == groups_.end()) return;
  Quarantined q{group->second.host, group->second.label, group->second.owner, Now(), reason};
  groups_.erase(group);
  spdlog::error("coordinator: worker group {} (host {}, user {}) quarantined: {}", group_id, q.host,
                q.owner, reason);
  // Its other leases go back to the queue now, not counted: it is told to stop.
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.group_id != group_id) {
      ++it;
      continue;
    }
    Status s = store_->ReleaseLease(it->first, it->second.attempt, "worker group quarantined");
    if (!s.ok()) spdlog::error("coordinator: {}", s.ToString());
    it = leases_.erase(it);
  }
  Status removed = store_->RemoveWorkerGroup(group_id);
  if (!removed.ok()) spdlog::error("coordinator: {}", removed.ToString());
  (void)store_->AppendEvent("group.quarantined", "worker group " + std::to_string(group_id) +
                                                     " on " + q.host + " (user " + q.owner +
                                                     ") quarantined: " + reason);
  const Status stop = QuarantineError(group_id, q);
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->group_id == group_id) {
      it->done(stop);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  quarantined_[group_id] = std::move(q);
  while (quarantined_.size() > kRememberedQuarantines) quarantined_.erase(quarantined_.begin());
}

Status Coordinator::RetireGroups() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first = Status::Ok();
  for (const auto& [id, group] : groups_) {
    Status s = store_->RemoveWorkerGroup(id);
    if (!s.ok() && first.ok()) first = s;
  }
  groups_.clear();
  return first;
}

void Coordinator::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = Now();
  if (now >= next_expiry_check_ms_) {
    Status s = ExpireLeases();
    if (!s.ok() && IsStoreFault(s)) {
      (void)StoreWrite(s, "expire leases");
    } else if (!s.ok()) {
      spdlog::error("coordinator: expiring leases: {}", s.ToString());
    }
    // Check ten times per lease timeout: a dead worker's trial is back within 1.1 timeouts.
    next_expiry_check_ms_ = now + std::max<int64_t>(50, options_.lease_timeout.count() / 10);
  }
  const int64_t silent_limit = options_.lease_timeout.count() * options_.group_timeout_leases;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (now - it->second.last_seen_ms > silent_limit) {
      spdlog::warn("coordinator: worker group {} silent for {} ms: marked gone", it->first,
                   now - it->second.last_seen_ms);
      Status s = store_->RemoveWorkerGroup(it->first);
      if (!s.ok()) spdlog::error("coordinator: {}", s.ToString());
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  // Expired leases and retries whose backoff ended become runnable without any request:
  // waiting long polls try again on every tick.
  ServeWaiters();
  AnswerDueSubmissions();
}

void Coordinator::DropWaiters() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& w : waiters_) w.done(std::vector<LeaseGrant>{});
  waiters_.clear();
  // Submissions still planned: their clients poll the progress they are answered with.
  for (auto& r : submit_replies_) (*r.answer)(r.submission->ToJson());
  submit_replies_.clear();
}

}  // namespace chromatune::coordinator
