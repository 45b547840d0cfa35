// ResultStore: sweep submission in one transaction (the steps of a draft at once: the steps
// are storage/result_store_drafts.cc), cancellation, priorities and the audit trail.
#include <memory>
#include <string>

#include "storage/result_store.h"
#include "storage/result_store_impl.h"

namespace chromatune {

Result<SweepSubmission> ResultStore::CreateSweep(const NewSweep& sweep) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(impl_->db_.get()));
  CT_ASSIGN_OR_RETURN(std::unique_ptr<SweepDraft> draft, impl_->BeginDraft(sweep));
  CT_ASSIGN_OR_RETURN(bool finished, impl_->StepDraft(draft.get(), INT64_MAX));
  if (!finished) return Internal("sweep " + sweep.name + ": an unbounded step left work undone");
  CT_RETURN_IF_ERROR(txn->Commit());
  return draft->submission();
}

Result<int64_t> ResultStore::CancelSweep(const std::string& name, const std::string& by) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  const int64_t now = impl_->Now();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  int64_t sweep_id = 0;
  {
    CT_ASSIGN_OR_RETURN(auto find,
                        db->Prepare("SELECT id FROM sweeps WHERE name = ? AND planning = 0"));
    find.Bind(1, name);
    CT_ASSIGN_OR_RETURN(bool found, find.Step());
    if (!found) return NotFound(impl_->path_ + ": no sweep named \"" + name + "\"");
    sweep_id = find.ColumnInt(0);
  }
  std::vector<std::pair<int64_t, int>> active;
  {
    CT_ASSIGN_OR_RETURN(auto list, db->Prepare("SELECT id, attempt FROM trials WHERE "
                                               "sweep_id = ? AND state IN ('leased', "
                                               "'running')"));
    list.Bind(1, sweep_id);
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, list.Step());
      if (!row) break;
      active.emplace_back(list.ColumnInt(0), static_cast<int>(list.ColumnInt(1)));
    }
  }
  for (const auto& [trial_id, attempt] : active) {
    CT_RETURN_IF_ERROR(impl_->CloseAttempt(trial_id, attempt, "cancelled", "sweep cancelled"));
  }
  CT_ASSIGN_OR_RETURN(auto cancel, db->Prepare("UPDATE trials SET state = 'cancelled', "
                                               "lease_id = NULL, lease_expires_ms = NULL, "
                                               "worker_group = NULL, updated_ms = ? WHERE "
                                               "sweep_id = ? AND state IN ('pending', "
                                               "'leased', 'running')"));
  CT_RETURN_IF_ERROR(cancel.Bind(1, now).Bind(2, sweep_id).Run());
  const int64_t cancelled = db->Changes();
  CT_ASSIGN_OR_RETURN(auto mark, db->Prepare("UPDATE sweeps SET cancelled = 1, updated_ms = ? "
                                             "WHERE id = ?"));
  CT_RETURN_IF_ERROR(mark.Bind(1, now).Bind(2, sweep_id).Run());
  CT_RETURN_IF_ERROR(impl_->InsertAudit(
      by, "cancel", name, std::to_string(cancelled) + " unfinished trials cancelled"));
  CT_RETURN_IF_ERROR(impl_->InsertEvent(
      "sweep.cancelled",
      "sweep " + name + " cancelled: " + std::to_string(cancelled) + " unfinished trials", sweep_id,
      std::nullopt));
  CT_RETURN_IF_ERROR(txn->Commit());
  return cancelled;
}

Status ResultStore::SetSweepPriority(const std::string& name, int priority, const std::string& by) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  int64_t sweep_id = 0;
  int old_priority = 0;
  {
    CT_ASSIGN_OR_RETURN(auto find, db->Prepare("SELECT id, priority FROM sweeps WHERE name = ? AND "
                                               "planning = 0"));
    find.Bind(1, name);
    CT_ASSIGN_OR_RETURN(bool found, find.Step());
    if (!found) return NotFound(impl_->path_ + ": no sweep named \"" + name + "\"");
    sweep_id = find.ColumnInt(0);
    old_priority = static_cast<int>(find.ColumnInt(1));
  }
  CT_ASSIGN_OR_RETURN(auto update, db->Prepare("UPDATE sweeps SET priority = ?, updated_ms = ? "
                                               "WHERE id = ?"));
  CT_RETURN_IF_ERROR(update.Bind(1, priority).Bind(2, impl_->Now()).Bind(3, sweep_id).Run());
  CT_RETURN_IF_ERROR(impl_->InsertAudit(
      by, "priority", name,
      "priority " + std::to_string(old_priority) + " -> " + std::to_string(priority)));
  return txn->Commit();
}

Result<std::vector<AuditRecord>> ResultStore::ListAudit(int limit, const std::string& sweep) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(
      auto stmt,
      impl_->db_->Prepare(std::string("SELECT id, time_ms, user, action, sweep, "
                                      "detail FROM audit") +
                          (sweep.empty() ? "" : " WHERE sweep = ?") + " ORDER BY id DESC LIMIT ?"));
  int next = 1;
  if (!sweep.empty()) stmt.Bind(next++, sweep);
  stmt.Bind(next, static_cast<int64_t>(limit));
  std::vector<AuditRecord> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(AuditRecord{stmt.ColumnInt(0), stmt.ColumnInt(1), stmt.ColumnText(2),
                              stmt.ColumnText(3), stmt.ColumnText(4), stmt.ColumnText(5)});
  }
  return out;
}

}  // namespace chromatune
