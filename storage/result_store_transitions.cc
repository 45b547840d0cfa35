// ResultStore: the trial state machine. Each transition checks the trial's state and
// current attempt inside the transaction (or batch savepoint) that applies it.
#include <algorithm>
#include <optional>

#include "storage/result_store.h"
#include "storage/result_store_impl.h"

namespace chromatune {

Transition Transition::Lease(int64_t trial_id, int64_t worker_group, int64_t lease_expires_ms) {
  Transition t;
  t.kind = Kind::kLease;
  t.trial_id = trial_id;
  t.worker_group = worker_group;
  t.lease_expires_ms = lease_expires_ms;
  return t;
}

Transition Transition::MarkRunning(int64_t trial_id, int attempt) {
  Transition t;
  t.kind = Kind::kMarkRunning;
  t.trial_id = trial_id;
  t.attempt = attempt;
  return t;
}

Transition Transition::RenewLease(int64_t trial_id, int attempt, int64_t lease_expires_ms,
                                  double progress, std::string note) {
  Transition t;
  t.kind = Kind::kRenewLease;
  t.trial_id = trial_id;
  t.attempt = attempt;
  t.lease_expires_ms = lease_expires_ms;
  t.progress = progress;
  t.note = std::move(note);
  return t;
}

Transition Transition::Complete(int64_t trial_id, int attempt, TrialResult result) {
  Transition t;
  t.kind = Kind::kComplete;
  t.trial_id = trial_id;
  t.attempt = attempt;
  t.result = std::move(result);
  return t;
}

Transition Transition::Fail(int64_t trial_id, int attempt, std::string error,
                            std::optional<int64_t> retry_not_before_ms) {
  Transition t;
  t.kind = Kind::kFail;
  t.trial_id = trial_id;
  t.attempt = attempt;
  t.note = std::move(error);
  t.retry_not_before_ms = retry_not_before_ms;
  return t;
}

Transition Transition::Release(int64_t trial_id, int attempt, std::string reason,
                               bool infrastructure) {
  Transition t;
  t.kind = Kind::kRelease;
  t.trial_id = trial_id;
  t.attempt = attempt;
  t.note = std::move(reason);
  t.infrastructure = infrastructure;
  return t;
}

namespace {

const char* KindName(Transition::Kind kind) {
  switch (kind) {
    case Transition::Kind::kLease:
      return "lease";
    case Transition::Kind::kMarkRunning:
      return "mark running";
    case Transition::Kind::kRenewLease:
      return "renew lease of";
    case Transition::Kind::kComplete:
      return "complete";
    case Transition::Kind::kFail:
      return "fail";
    case Transition::Kind::kRelease:
      return "release";
  }
  return "?";
}

// The part of a trial row a transition needs.
struct TrialHead {
  int64_t sweep_id = 0;
  TrialState state = TrialState::kPending;
  int attempt = 0;
  int failures = 0;
  int retries = 0;
};

Result<TrialHead> LoadHead(SqliteDb* db, int64_t trial_id) {
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("SELECT t.sweep_id, t.state, t.attempt, "
                                             "t.failures, s.retries FROM trials t JOIN sweeps "
                                             "s ON s.id = t.sweep_id WHERE t.id = ?"));
  stmt.Bind(1, trial_id);
  CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound(db->path() + ": no trial with id " + std::to_string(trial_id));
  TrialHead h;
  h.sweep_id = stmt.ColumnInt(0);
  h.state = ParseTrialState(stmt.ColumnText(1)).value();
  h.attempt = static_cast<int>(stmt.ColumnInt(2));
  h.failures = static_cast<int>(stmt.ColumnInt(3));
  h.retries = static_cast<int>(stmt.ColumnInt(4));
  return h;
}

Status Refuse(const Transition& t, const TrialHead& h, const std::string& why) {
  return FailedPrecondition("cannot " + std::string(KindName(t.kind)) + " trial " +
                            std::to_string(t.trial_id) + " attempt " + std::to_string(t.attempt) +
                            ": " + why + " (state " + TrialStateName(h.state) +
                            ", current attempt " + std::to_string(h.attempt) + ")");
}

// Fencing: the named attempt must be the current one and hold the lease.
Status CheckHeld(const Transition& t, const TrialHead& h, bool allow_leased, bool allow_running) {
  if (t.attempt != h.attempt) return Refuse(t, h, "the attempt is not current (stale lease)");
  const bool ok = (allow_leased && h.state == TrialState::kLeased) ||
                  (allow_running && h.state == TrialState::kRunning);
  if (!ok) return Refuse(t, h, "illegal in this state");
  return Status::Ok();
}

// Clears the lease columns and moves a trial to `state`.
Status SetUnleased(SqliteDb* db, int64_t trial_id, TrialState state, int failures,
                   int64_t not_before_ms, const std::string& error, int64_t now) {
  CT_ASSIGN_OR_RETURN(auto stmt,
                      db->Prepare("UPDATE trials SET state = ?, failures = ?, not_before_ms = ?, "
                                  "error = ?, lease_id = NULL, lease_expires_ms = NULL, "
                                  "worker_group = NULL, updated_ms = ? WHERE id = ?"));
  return stmt.Bind(1, TrialStateName(state))
      .Bind(2, failures)
      .Bind(3, not_before_ms)
      .Bind(4, error)
      .Bind(5, now)
      .Bind(6, trial_id)
      .Run();
}

// One attempt of the trial lost to the infrastructure, not to the trial (schema 7).
Status CountInfraRequeue(SqliteDb* db, int64_t trial_id, int64_t sweep_id) {
  CT_ASSIGN_OR_RETURN(auto trial, db->Prepare("UPDATE trials SET infra_requeues = "
                                              "infra_requeues + 1 WHERE id = ?"));
  CT_RETURN_IF_ERROR(trial.Bind(1, trial_id).Run());
  CT_ASSIGN_OR_RETURN(auto sweep, db->Prepare("UPDATE sweeps SET infra_requeues = "
                                              "infra_requeues + 1 WHERE id = ?"));
  return sweep.Bind(1, sweep_id).Run();
}

}  // namespace

Status ResultStore::Impl::CloseAttempt(int64_t trial_id, int attempt, const std::string& outcome,
                                       const std::string& error) {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("UPDATE attempts SET ended_ms = ?, outcome = ?, "
                                              "error = ? WHERE trial_id = ? AND attempt = ?"));
  return stmt.Bind(1, Now())
      .Bind(2, outcome)
      .Bind(3, error)
      .Bind(4, trial_id)
      .Bind(5, attempt)
      .Run();
}

namespace {

// A transition that passed its checks: the trial as it was read, and the outcome.
struct Checked {
  TrialHead head;
  TransitionOutcome out;  // lease_id is filled in by Write
  int failures = 0;       // the trial's failure count afterwards
};

// Reads only: decides whether `t` is legal now. Every refusal of a transition
// (kFailedPrecondition, kNotFound) comes from here, before anything of it is written, which
// is why a batch needs no savepoint per transition. `*active_group` is the worker group last
// found active in this transaction (none yet: empty): no transition changes a group, so a batch
// of leases for one group reads its row once.
Result<Checked> Check(SqliteDb* db, const Transition& t, std::optional<int64_t>* active_group) {
  Checked c;
  CT_ASSIGN_OR_RETURN(c.head, LoadHead(db, t.trial_id));
  const TrialHead& h = c.head;
  c.out.attempt = h.attempt;
  c.out.state = h.state;
  c.failures = h.failures;
  switch (t.kind) {
    case Transition::Kind::kLease: {
      if (h.state != TrialState::kPending) return Refuse(t, h, "only a pending trial is leased");
      if (*active_group != t.worker_group) {
        CT_ASSIGN_OR_RETURN(auto group, db->Prepare("SELECT state FROM worker_groups "
                                                    "WHERE id = ?"));
        group.Bind(1, t.worker_group);
        CT_ASSIGN_OR_RETURN(bool found, group.Step());
        if (!found || group.ColumnText(0) != "active") {
          return FailedPrecondition("cannot lease trial " + std::to_string(t.trial_id) +
                                    ": worker group " + std::to_string(t.worker_group) +
                                    (found ? " is gone" : " is not registered"));
        }
        *active_group = t.worker_group;
      }
      c.out.attempt = h.attempt + 1;
      c.out.state = TrialState::kLeased;
      return c;
    }
    case Transition::Kind::kMarkRunning:
      CT_RETURN_IF_ERROR(CheckHeld(t, h, /*allow_leased=*/true, /*allow_running=*/false));
      c.out.state = TrialState::kRunning;
      return c;
    case Transition::Kind::kRenewLease:
      CT_RETURN_IF_ERROR(CheckHeld(t, h, true, true));
      return c;
    case Transition::Kind::kComplete:
      CT_RETURN_IF_ERROR(CheckHeld(t, h, true, true));
      c.out.state = TrialState::kDone;
      return c;
    case Transition::Kind::kFail: {
      CT_RETURN_IF_ERROR(CheckHeld(t, h, true, true));
      c.failures = h.failures + 1;
      const bool retry = t.retry_not_before_ms.has_value() && c.failures <= h.retries;
      c.out.state = retry ? TrialState::kPending : TrialState::kFailed;
      return c;
    }
    case Transition::Kind::kRelease:
      CT_RETURN_IF_ERROR(CheckHeld(t, h, true, true));
      c.out.state = TrialState::kPending;
      return c;
  }
  return Internal("unknown transition kind");
}

// Writes only, for a transition that Check passed in the same transaction. An error here
// is never a refusal (SqliteDb maps no SQLite error to kFailedPrecondition or kNotFound):
// it is I/O, a full disk or damage, and the caller rolls the whole transaction back.
Status Write(ResultStore::Impl* impl, const Transition& t, Checked* c) {
  SqliteDb* db = impl->db_.get();
  const int64_t now = impl->Now();
  switch (t.kind) {
    case Transition::Kind::kLease: {
      CT_ASSIGN_OR_RETURN(c->out.lease_id, impl->NewLeaseId(t.trial_id, c->out.attempt));
      CT_ASSIGN_OR_RETURN(auto attempt,
                          db->Prepare("INSERT INTO attempts(trial_id, attempt, lease_id, "
                                      "worker_group, leased_ms) VALUES (?, ?, ?, ?, ?)"));
      CT_RETURN_IF_ERROR(attempt.Bind(1, t.trial_id)
                             .Bind(2, c->out.attempt)
                             .Bind(3, c->out.lease_id)
                             .Bind(4, t.worker_group)
                             .Bind(5, now)
                             .Run());
      CT_ASSIGN_OR_RETURN(auto trial,
                          db->Prepare("UPDATE trials SET state = 'leased', attempt = ?, "
                                      "lease_id = ?, lease_expires_ms = ?, worker_group = ?, "
                                      "progress = 0, progress_note = '', updated_ms = ? "
                                      "WHERE id = ?"));
      return trial.Bind(1, c->out.attempt)
          .Bind(2, c->out.lease_id)
          .Bind(3, t.lease_expires_ms)
          .Bind(4, t.worker_group)
          .Bind(5, now)
          .Bind(6, t.trial_id)
          .Run();
    }
    case Transition::Kind::kMarkRunning: {
      CT_ASSIGN_OR_RETURN(auto attempt, db->Prepare("UPDATE attempts SET started_ms = ? "
                                                    "WHERE trial_id = ? AND attempt = ?"));
      CT_RETURN_IF_ERROR(attempt.Bind(1, now).Bind(2, t.trial_id).Bind(3, t.attempt).Run());
      CT_ASSIGN_OR_RETURN(auto trial, db->Prepare("UPDATE trials SET state = 'running', "
                                                  "updated_ms = ? WHERE id = ?"));
      return trial.Bind(1, now).Bind(2, t.trial_id).Run();
    }
    case Transition::Kind::kRenewLease: {
      if (t.progress >= 0) {
        CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("UPDATE trials SET lease_expires_ms = ?, "
                                                   "progress = ?, progress_note = ?, "
                                                   "updated_ms = ? WHERE id = ?"));
        return stmt.Bind(1, t.lease_expires_ms)
            .Bind(2, std::min(t.progress, 1.0))
            .Bind(3, t.note)
            .Bind(4, now)
            .Bind(5, t.trial_id)
            .Run();
      }
      CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("UPDATE trials SET lease_expires_ms = ?, "
                                                 "updated_ms = ? WHERE id = ?"));
      return stmt.Bind(1, t.lease_expires_ms).Bind(2, now).Bind(3, t.trial_id).Run();
    }
    case Transition::Kind::kComplete: {
      CT_RETURN_IF_ERROR(impl->CloseAttempt(t.trial_id, t.attempt, "done", ""));
      if (!t.result.metrics.empty()) {
        CT_ASSIGN_OR_RETURN(auto metric, db->Prepare("INSERT OR REPLACE INTO metrics(trial_id, "
                                                     "name, value) VALUES (?, ?, ?)"));
        for (const auto& [name, value] : t.result.metrics) {
          metric.Reset();
          CT_RETURN_IF_ERROR(metric.Bind(1, t.trial_id).Bind(2, name).Bind(3, value).Run());
        }
      }
      if (!t.result.curves.empty()) {
        CT_ASSIGN_OR_RETURN(auto curve,
                            db->Prepare("INSERT OR REPLACE INTO curves(trial_id, name, step, "
                                        "value) VALUES (?, ?, ?, ?)"));
        for (const CurvePoint& p : t.result.curves) {
          curve.Reset();
          CT_RETURN_IF_ERROR(
              curve.Bind(1, t.trial_id).Bind(2, p.name).Bind(3, p.step).Bind(4, p.value).Run());
        }
      }
      CT_ASSIGN_OR_RETURN(auto trial,
                          db->Prepare("UPDATE trials SET state = 'done', error = '', "
                                      "lease_id = NULL, lease_expires_ms = NULL, "
                                      "worker_group = NULL, progress = 1, info_json = ?, "
                                      "wall_seconds = ?, updated_ms = ? WHERE id = ?"));
      return trial.Bind(1, t.result.info.dump())
          .Bind(2, t.result.wall_seconds)
          .Bind(3, now)
          .Bind(4, t.trial_id)
          .Run();
    }
    case Transition::Kind::kFail: {
      const bool retry = c->out.state == TrialState::kPending;
      CT_RETURN_IF_ERROR(impl->CloseAttempt(t.trial_id, t.attempt, "failed", t.note));
      CT_RETURN_IF_ERROR(SetUnleased(db, t.trial_id, c->out.state, c->failures,
                                     retry ? *t.retry_not_before_ms : 0, t.note, now));
      if (retry) return Status::Ok();
      return impl->InsertEvent("trial.failed",
                               "trial " + std::to_string(t.trial_id) + " failed after " +
                                   std::to_string(c->failures) + " failed attempts: " + t.note,
                               c->head.sweep_id, t.trial_id);
    }
    case Transition::Kind::kRelease:
      CT_RETURN_IF_ERROR(impl->CloseAttempt(t.trial_id, t.attempt, "released", t.note));
      if (t.infrastructure) {
        CT_RETURN_IF_ERROR(CountInfraRequeue(db, t.trial_id, c->head.sweep_id));
      }
      return SetUnleased(db, t.trial_id, TrialState::kPending, c->head.failures, now, "", now);
  }
  return Internal("unknown transition kind");
}

}  // namespace

Result<std::vector<Result<TransitionOutcome>>> ResultStore::Apply(std::vector<Transition> batch) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  std::vector<Result<TransitionOutcome>> results;
  results.reserve(batch.size());
  std::optional<int64_t> active_group;
  for (const Transition& t : batch) {
    Result<Checked> checked = Check(db, t, &active_group);
    if (!checked.ok()) {
      const StatusCode code = checked.status().code();
      // A read that failed (I/O): the whole batch is rolled back.
      if (code != StatusCode::kFailedPrecondition && code != StatusCode::kNotFound) {
        return checked.status();
      }
      results.push_back(checked.status());  // refused alone, nothing of it written
      continue;
    }
    // A write that failed (I/O, disk full): the whole batch is rolled back.
    CT_RETURN_IF_ERROR(Write(impl_.get(), t, &*checked));
    results.push_back(std::move(checked->out));
  }
  CT_RETURN_IF_ERROR(txn->Commit());
  return results;
}

namespace {

// Runs one transition as its own batch.
Result<TransitionOutcome> ApplySingle(ResultStore* store, Transition t) {
  std::vector<Transition> batch;
  batch.push_back(std::move(t));
  CT_ASSIGN_OR_RETURN(auto results, store->Apply(std::move(batch)));
  return std::move(results.front());
}

}  // namespace

Result<TransitionOutcome> ResultStore::Lease(int64_t trial_id, int64_t worker_group,
                                             int64_t lease_expires_ms) {
  return ApplySingle(this, Transition::Lease(trial_id, worker_group, lease_expires_ms));
}

Status ResultStore::MarkRunning(int64_t trial_id, int attempt) {
  return ApplySingle(this, Transition::MarkRunning(trial_id, attempt)).status();
}

Status ResultStore::RenewLease(int64_t trial_id, int attempt, int64_t lease_expires_ms,
                               double progress, const std::string& note) {
  return ApplySingle(this,
                     Transition::RenewLease(trial_id, attempt, lease_expires_ms, progress, note))
      .status();
}

Status ResultStore::Complete(int64_t trial_id, int attempt, const TrialResult& result) {
  // The store keeps metrics, curves and info; arrays go to the artifact store.
  TrialResult rows;
  rows.metrics = result.metrics;
  rows.curves = result.curves;
  rows.info = result.info;
  rows.wall_seconds = result.wall_seconds;
  return ApplySingle(this, Transition::Complete(trial_id, attempt, std::move(rows))).status();
}

Result<TrialState> ResultStore::FailAttempt(int64_t trial_id, int attempt, const std::string& error,
                                            std::optional<int64_t> retry_not_before_ms) {
  CT_ASSIGN_OR_RETURN(
      auto out, ApplySingle(this, Transition::Fail(trial_id, attempt, error, retry_not_before_ms)));
  return out.state;
}

Status ResultStore::ReleaseLease(int64_t trial_id, int attempt, const std::string& reason,
                                 bool infrastructure) {
  return ApplySingle(this, Transition::Release(trial_id, attempt, reason, infrastructure)).status();
}

Status ResultStore::CheckCurrentAttempt(int64_t trial_id, int attempt) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(TrialHead h, LoadHead(impl_->db_.get(), trial_id));
  Transition probe = Transition::Complete(trial_id, attempt, TrialResult{});
  return CheckHeld(probe, h, true, true);
}

Result<std::vector<ResultStore::ExpiredLease>> ResultStore::ExpireLeases(
    int64_t now_ms, const std::function<int64_t(int failures)>& backoff_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  struct Expired {
    int64_t id, sweep_id, group;
    int attempt, failures, retries;
    bool started;
  };
  std::vector<Expired> expired;
  {
    CT_ASSIGN_OR_RETURN(auto list,
                        db->Prepare("SELECT t.id, t.sweep_id, t.attempt, t.failures, "
                                    "s.retries, t.state = 'running', "
                                    "coalesce(t.worker_group, 0) "
                                    "FROM trials t INDEXED BY trials_leases JOIN sweeps s "
                                    "ON s.id = t.sweep_id WHERE t.state IN ('leased', "
                                    "'running') AND t.lease_expires_ms < ?"));
    list.Bind(1, now_ms);
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, list.Step());
      if (!row) break;
      expired.push_back({list.ColumnInt(0), list.ColumnInt(1), list.ColumnInt(6),
                         static_cast<int>(list.ColumnInt(2)), static_cast<int>(list.ColumnInt(3)),
                         static_cast<int>(list.ColumnInt(4)), list.ColumnInt(5) != 0});
    }
  }
  std::vector<ExpiredLease> out;
  const int64_t now = impl_->Now();
  for (const Expired& e : expired) {
    // Work that never started is not a failed attempt (INTERFACES.md, "Failure accounting").
    const int failures = e.started ? e.failures + 1 : e.failures;
    const TrialState next = failures <= e.retries ? TrialState::kPending : TrialState::kFailed;
    const int64_t not_before =
        e.started && backoff_ms ? now_ms + std::max<int64_t>(0, backoff_ms(failures)) : now_ms;
    const std::string error = e.started ? "lease expired" : "lease expired before the work started";
    CT_RETURN_IF_ERROR(impl_->CloseAttempt(e.id, e.attempt, "expired", error));
    CT_RETURN_IF_ERROR(SetUnleased(db, e.id, next, failures, not_before, error, now));
    if (!e.started) CT_RETURN_IF_ERROR(CountInfraRequeue(db, e.id, e.sweep_id));
    CT_RETURN_IF_ERROR(impl_->InsertEvent(
        "lease.expired",
        "trial " + std::to_string(e.id) + " attempt " + std::to_string(e.attempt) + ": " + error +
            (e.started ? " (counted as a failed attempt)" : " (not counted)") + "; trial " +
            (next == TrialState::kPending ? "re-queued" : "failed"),
        e.sweep_id, e.id));
    out.push_back(ExpiredLease{e.id, e.attempt, e.group, e.started, next});
  }
  CT_RETURN_IF_ERROR(txn->Commit());
  return out;
}

}  // namespace chromatune
