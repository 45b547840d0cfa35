// ResultStore: sweep submission (create or resume, with reuse of finished trials) and
// cancellation.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/item_template.h"
#include "storage/result_store.h"
#include "storage/result_store_impl.h"
#include "storage/trial_key_hash.h"

namespace chromatune {
namespace {

// The columns of a plan item that the store indexes. The texts are views into the item,
// which outlives the row (NewSweep::items, for the whole of CreateSweep).
struct PlanRow {
  std::string_view key;
  int64_t key_hash = 0;  // TrialKeyHash(key)
  int64_t index = 0;
  std::string_view task, dataset, method;
  int64_t shots = 0, data_seed = 0, train_seed = 0;
  int64_t ranks = 1;
  // The item without its replicate fields, shared by a run of replicates.
  std::shared_ptr<const ItemTemplate> templ;
};

Status FieldError(size_t i, const std::string& field, const std::string& message) {
  return InvalidArgument("items[" + std::to_string(i) + "]." + field + ": " + message);
}

// A view of the member's text, valid as long as `item` is.
Result<std::string_view> OptionalString(const nlohmann::json& item, size_t i, const char* field,
                                        bool required) {
  auto it = item.find(field);
  if (it == item.end()) {
    if (required) return FieldError(i, field, "missing");
    return std::string_view();
  }
  if (!it->is_string()) return FieldError(i, field, "must be a string");
  const std::string& text = it->get_ref<const std::string&>();
  if (required && text.empty()) return FieldError(i, field, "is empty");
  return std::string_view(text);
}

Result<int64_t> OptionalInt(const nlohmann::json& item, size_t i, const char* field,
                            int64_t fallback, bool required) {
  auto it = item.find(field);
  if (it == item.end()) {
    if (required) return FieldError(i, field, "missing");
    return fallback;
  }
  if (!it->is_number_integer()) return FieldError(i, field, "must be an integer");
  return it->get<int64_t>();
}

Result<PlanRow> ParseItem(const nlohmann::json& item, size_t i, ItemTemplates* templates) {
  if (!item.is_object()) {
    return InvalidArgument("items[" + std::to_string(i) + "]: must be an object");
  }
  PlanRow r;
  CT_ASSIGN_OR_RETURN(r.key, OptionalString(item, i, "key", true));
  r.key_hash = TrialKeyHash(r.key);
  CT_ASSIGN_OR_RETURN(r.method, OptionalString(item, i, "method", true));
  CT_ASSIGN_OR_RETURN(r.task, OptionalString(item, i, "task", false));
  CT_ASSIGN_OR_RETURN(r.dataset, OptionalString(item, i, "dataset", false));
  CT_ASSIGN_OR_RETURN(r.index, OptionalInt(item, i, "index", static_cast<int64_t>(i), false));
  CT_ASSIGN_OR_RETURN(r.shots, OptionalInt(item, i, "shots", 0, true));
  if (r.shots < 0) return FieldError(i, "shots", "must be >= 0");
  CT_ASSIGN_OR_RETURN(r.data_seed, OptionalInt(item, i, "data_seed", 0, false));
  CT_ASSIGN_OR_RETURN(r.train_seed, OptionalInt(item, i, "train_seed", 0, false));
  auto params = item.find("params");
  if (params != item.end() && !params->is_object()) {
    return FieldError(i, "params", "must be an object");
  }
  auto resources = item.find("resources");
  if (resources != item.end()) {
    if (!resources->is_object()) return FieldError(i, "resources", "must be an object");
    auto ranks = resources->find("ranks");
    if (ranks != resources->end()) {
      if (!ranks->is_number_integer() || ranks->get<int64_t>() < 1) {
        return FieldError(i, "resources.ranks", "must be an integer >= 1");
      }
      r.ranks = ranks->get<int64_t>();
    }
  }
  r.templ = templates->TemplateOf(item);
  return r;
}

Status ValidateSweep(const NewSweep& sweep) {
  if (sweep.name.empty()) return InvalidArgument("sweep name: is empty");
  if (sweep.user.empty()) return InvalidArgument("sweep " + sweep.name + ": user is empty");
  if (sweep.retries < 0) {
    return InvalidArgument("sweep " + sweep.name + ": retries must be >= 0");
  }
  if (!sweep.items.is_array()) {
    return InvalidArgument("sweep " + sweep.name + ": items must be a JSON array");
  }
  return Status::Ok();
}

}  // namespace

Result<SweepSubmission> ResultStore::CreateSweep(const NewSweep& sweep) {
  CT_RETURN_IF_ERROR(ValidateSweep(sweep));
  // Parse and check every item before touching the database.
  std::vector<PlanRow> rows;
  rows.reserve(sweep.items.size());
  // Views of rows[i].key: `rows` never reallocates (reserved above).
  std::unordered_map<std::string_view, size_t> first_index;
  first_index.reserve(sweep.items.size());
  ItemTemplates templates;
  for (size_t i = 0; i < sweep.items.size(); ++i) {
    CT_ASSIGN_OR_RETURN(PlanRow row, ParseItem(sweep.items[i], i, &templates));
    rows.push_back(std::move(row));
    auto [it, inserted] = first_index.emplace(rows.back().key, i);
    if (!inserted) {
      return FieldError(i, "key",
                        "duplicates the key of items[" + std::to_string(it->second) + "]");
    }
  }

  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  const int64_t now = impl_->Now();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));

  CT_ASSIGN_OR_RETURN(auto user, db->Prepare("INSERT OR IGNORE INTO users(name, created_ms) "
                                             "VALUES (?, ?)"));
  CT_RETURN_IF_ERROR(user.Bind(1, sweep.user).Bind(2, now).Run());

  SweepSubmission result;
  std::string owner;
  int old_priority = 0;
  {
    CT_ASSIGN_OR_RETURN(auto find,
                        db->Prepare("SELECT id, user, priority FROM sweeps WHERE name = ?"));
    find.Bind(1, sweep.name);
    CT_ASSIGN_OR_RETURN(result.resumed, find.Step());
    if (result.resumed) {
      result.sweep_id = find.ColumnInt(0);
      owner = find.ColumnText(1);
      old_priority = static_cast<int>(find.ColumnInt(2));
    }
  }
  // Ownership: nobody takes over another user's sweep by submitting its name.
  if (result.resumed && owner != sweep.user && !sweep.may_resume_others) {
    return AlreadyExists("sweep \"" + sweep.name + "\" is owned by " + owner + "; user " +
                         sweep.user + " may not resubmit it (choose another sweep name)");
  }
  CT_RETURN_IF_ERROR(impl_->InsertAudit(
      sweep.user, result.resumed ? "resume" : "submit", sweep.name,
      "priority " + std::to_string(sweep.priority) + ", retries " + std::to_string(sweep.retries)));
  if (result.resumed && old_priority != sweep.priority) {
    CT_RETURN_IF_ERROR(impl_->InsertAudit(
        sweep.user, "priority", sweep.name,
        "priority " + std::to_string(old_priority) + " -> " + std::to_string(sweep.priority)));
  }
  if (result.resumed) {
    CT_ASSIGN_OR_RETURN(auto update, db->Prepare("UPDATE sweeps SET priority = ?, "
                                                 "retries = ?, rerun = ?, cancelled = 0, "
                                                 "spec_yaml = ?, updated_ms = ? WHERE id = ?"));
    CT_RETURN_IF_ERROR(update.Bind(1, sweep.priority)
                           .Bind(2, sweep.retries)
                           .Bind(3, sweep.rerun ? 1 : 0)
                           .Bind(4, sweep.spec_yaml)
                           .Bind(5, now)
                           .Bind(6, result.sweep_id)
                           .Run());
  } else {
    CT_ASSIGN_OR_RETURN(auto insert,
                        db->Prepare("INSERT INTO sweeps(name, user, priority, retries, rerun, "
                                    "spec_yaml, created_ms, updated_ms) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    CT_RETURN_IF_ERROR(insert.Bind(1, sweep.name)
                           .Bind(2, sweep.user)
                           .Bind(3, sweep.priority)
                           .Bind(4, sweep.retries)
                           .Bind(5, sweep.rerun ? 1 : 0)
                           .Bind(6, sweep.spec_yaml)
                           .Bind(7, now)
                           .Bind(8, now)
                           .Run());
    result.sweep_id = db->LastInsertRowid();
  }

  // Existing trials of this sweep (resume): key -> (id, state, attempt).
  struct Existing {
    int64_t id;
    TrialState state;
    int attempt;
  };
  std::unordered_map<std::string, Existing> existing;
  if (result.resumed) {
    CT_ASSIGN_OR_RETURN(auto list, db->Prepare("SELECT key, id, state, attempt FROM trials "
                                               "WHERE sweep_id = ?"));
    list.Bind(1, result.sweep_id);
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, list.Step());
      if (!row) break;
      existing.emplace(list.ColumnText(0),
                       Existing{list.ColumnInt(1), ParseTrialState(list.ColumnText(2)).value(),
                                static_cast<int>(list.ColumnInt(3))});
    }
  }

  // Reuse needs a done trial somewhere; a fresh store skips one index probe per item.
  bool any_done = false;
  if (!sweep.rerun) {
    CT_ASSIGN_OR_RETURN(auto probe, db->Prepare("SELECT 1 FROM trials INDEXED BY "
                                                "trials_done_key WHERE state = 'done' LIMIT 1"));
    CT_ASSIGN_OR_RETURN(any_done, probe.Step());
  }

  // Statements run once per item are prepared once, here, and reset per row.
  CT_ASSIGN_OR_RETURN(auto requeue,
                      db->Prepare("UPDATE trials SET state = 'pending', failures = 0, "
                                  "not_before_ms = ?, error = '', lease_id = NULL, "
                                  "lease_expires_ms = NULL, worker_group = NULL, "
                                  "progress = 0, progress_note = '', updated_ms = ? "
                                  "WHERE id = ?"));
  // Reuse draws only on results completed under a worker lease: a lease of a group whose
  // token had the worker or admin role ('' for groups older than schema 4, or a group the
  // store does not know: data older than groups were recorded), or a trial that was itself
  // reused from such a result.
  CT_ASSIGN_OR_RETURN(
      auto reuse,
      db->Prepare("SELECT t.id, coalesce(t.reused_from, t.id), t.wall_seconds, "
                  "coalesce(t.info_json, '') FROM trials t INDEXED BY trials_done_key "
                  "LEFT JOIN attempts a ON a.trial_id = t.id AND a.attempt = t.attempt "
                  "LEFT JOIN worker_groups g ON g.id = a.worker_group "
                  "WHERE t.key_hash = ? AND t.key = ? AND t.state = 'done' AND "
                  "(t.reused_from IS NOT NULL OR coalesce(g.role, '') IN ('worker', 'admin', '')) "
                  "ORDER BY t.id LIMIT 1"));
  CT_ASSIGN_OR_RETURN(
      auto insert,
      db->Prepare("INSERT INTO trials(sweep_id, idx, key, state, task, dataset, method, "
                  "shots, data_seed, train_seed, ranks, params_json, not_before_ms, "
                  "reused_from, info_json, wall_seconds, created_ms, updated_ms, template_id, "
                  "key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  CT_ASSIGN_OR_RETURN(auto insert_template, db->Prepare("INSERT INTO item_templates(item_json, "
                                                        "fields) VALUES (?, ?)"));
  // The template inserted last (rows of a run share one, and runs are consecutive).
  const ItemTemplate* stored_template = nullptr;
  int64_t template_id = 0;
  CT_ASSIGN_OR_RETURN(auto copy_metrics,
                      db->Prepare("INSERT INTO metrics(trial_id, name, value) "
                                  "SELECT ?, name, value FROM metrics WHERE trial_id = ?"));
  CT_ASSIGN_OR_RETURN(auto copy_curves,
                      db->Prepare("INSERT INTO curves(trial_id, name, step, value) "
                                  "SELECT ?, name, step, value FROM curves WHERE trial_id = ?"));

  for (const PlanRow& row : rows) {
    auto found = existing.empty() ? existing.end() : existing.find(std::string(row.key));
    if (found != existing.end()) {
      const Existing& e = found->second;
      if (e.state == TrialState::kFailed || e.state == TrialState::kCancelled) {
        requeue.Reset();
        CT_RETURN_IF_ERROR(requeue.Bind(1, now).Bind(2, now).Bind(3, e.id).Run());
        ++result.requeued;
      } else {
        ++result.unchanged;
      }
      continue;
    }
    // Reuse a finished identical trial (its own source if it was itself reused).
    std::optional<int64_t> source, origin;
    double wall_seconds = 0.0;
    std::string info_json;
    if (any_done) {
      reuse.Reset();
      reuse.Bind(1, row.key_hash).BindView(2, row.key);
      CT_ASSIGN_OR_RETURN(bool hit, reuse.Step());
      if (hit) {
        source = reuse.ColumnInt(0);
        origin = reuse.ColumnInt(1);
        wall_seconds = reuse.ColumnDouble(2);
        info_json = reuse.ColumnText(3);
      }
      reuse.Reset();  // ends the read before the inserts below
    }
    if (row.templ.get() != stored_template) {
      insert_template.Reset();
      CT_RETURN_IF_ERROR(insert_template.Bind(1, row.templ->text).Bind(2, row.templ->fields).Run());
      stored_template = row.templ.get();
      template_id = db->LastInsertRowid();
    }
    insert.Reset();
    insert.Bind(1, result.sweep_id)
        .Bind(2, row.index)
        .BindView(3, row.key)
        .Bind(4, source ? "done" : "pending")
        .BindView(5, row.task)
        .BindView(6, row.dataset)
        .BindView(7, row.method)
        .Bind(8, row.shots)
        .Bind(9, row.data_seed)
        .Bind(10, row.train_seed)
        .Bind(11, row.ranks)
        .BindView(12, row.templ->params_text)
        .Bind(13, now)
        .Bind(16, wall_seconds)
        .Bind(17, now)
        .Bind(18, now)
        .Bind(19, template_id)
        .Bind(20, row.key_hash);
    if (origin) {
      insert.Bind(14, *origin);
    } else {
      insert.BindNull(14);
    }
    if (info_json.empty()) {
      insert.BindNull(15);
    } else {
      insert.Bind(15, info_json);
    }
    CT_RETURN_IF_ERROR(insert.Run());
    const int64_t trial_id = db->LastInsertRowid();
    if (!source) {
      ++result.created;
      continue;
    }
    copy_metrics.Reset();
    CT_RETURN_IF_ERROR(copy_metrics.Bind(1, trial_id).Bind(2, *source).Run());
    copy_curves.Reset();
    CT_RETURN_IF_ERROR(copy_curves.Bind(1, trial_id).Bind(2, *source).Run());
    ++result.reused;
  }

  // Resume with an edited plan: unfinished trials the plan no longer has are cancelled.
  for (const auto& [key, e] : existing) {
    if (first_index.count(key) != 0 || IsTerminal(e.state)) continue;
    if (e.state != TrialState::kPending) {
      CT_RETURN_IF_ERROR(impl_->CloseAttempt(e.id, e.attempt, "cancelled",
                                             "the resubmitted plan no longer has this trial"));
    }
    CT_ASSIGN_OR_RETURN(auto drop, db->Prepare("UPDATE trials SET state = 'cancelled', "
                                               "lease_id = NULL, lease_expires_ms = NULL, "
                                               "worker_group = NULL, updated_ms = ? "
                                               "WHERE id = ?"));
    CT_RETURN_IF_ERROR(drop.Bind(1, now).Bind(2, e.id).Run());
    ++result.dropped;
  }

  std::string summary = "sweep " + sweep.name + " by " + sweep.user + ": " +
                        std::to_string(rows.size()) + " planned trials, " +
                        std::to_string(result.created) + " new, " + std::to_string(result.reused) +
                        " reused";
  if (result.resumed) {
    summary += ", " + std::to_string(result.requeued) + " re-queued, " +
               std::to_string(result.unchanged) + " kept, " + std::to_string(result.dropped) +
               " dropped";
  }
  CT_RETURN_IF_ERROR(impl_->InsertEvent(result.resumed ? "sweep.resumed" : "sweep.created", summary,
                                        result.sweep_id, std::nullopt));
  CT_RETURN_IF_ERROR(txn->Commit());
  return result;
}

Result<int64_t> ResultStore::CancelSweep(const std::string& name, const std::string& by) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  const int64_t now = impl_->Now();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  int64_t sweep_id = 0;
  {
    CT_ASSIGN_OR_RETURN(auto find, db->Prepare("SELECT id FROM sweeps WHERE name = ?"));
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
    CT_ASSIGN_OR_RETURN(auto find, db->Prepare("SELECT id, priority FROM sweeps WHERE name = ?"));
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
