// ResultStore: a sweep stored in steps (storage/sweep_draft.h), and what CreateSweep does
// with the same steps in one transaction: create or resume, with reuse of finished trials.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/item_template.h"
#include "storage/result_store.h"
#include "storage/result_store_impl.h"
#include "storage/trial_key_hash.h"

namespace chromatune {
namespace {

// The columns of a plan item that the store indexes. The texts are views into the item,
// which outlives the row (NewSweep::items, for the whole of the draft).
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

// A trial of the sweep when the draft began (a resume).
struct Existing {
  int64_t id;
  TrialState state;
  int attempt;
};

// A row of the range scan over the sweep's trials that existed when the draft began.
struct ScannedTrial {
  int64_t id;
  std::string key;
  TrialState state;
  int attempt;
};

}  // namespace

struct SweepDraft::State {
  enum class Phase { kReadExisting, kStoreItems, kDropUnplanned, kFinish, kFinished };

  NewSweep sweep;  // without items
  const nlohmann::json* items = nullptr;
  SweepSubmission result;
  int old_priority = 0;
  Phase phase = Phase::kStoreItems;
  // Resume: the sweep's trials when the draft began have ids in (cursor, last_id], read in
  // id order a range at a time (the rowid, not an index: each step reads its rows only).
  int64_t first_id = 0, last_id = 0, cursor = 0;
  std::unordered_map<std::string, Existing> existing;
  // Plan items stored so far, and the index of each key (views into `items`).
  size_t next_item = 0;
  std::unordered_map<std::string_view, size_t> first_index;
  ItemTemplates templates;
  // The template inserted last (rows of a run share one, and runs are consecutive); held so
  // that its address is never reused by a later template.
  std::shared_ptr<const ItemTemplate> stored_template;
  int64_t template_id = 0;
  bool any_done = false;  // reuse needs a done trial somewhere
  bool failed = false;    // a step failed (rolled back): the draft cannot go on
};

SweepDraft::SweepDraft(std::unique_ptr<State> state) : state_(std::move(state)) {}
SweepDraft::~SweepDraft() = default;
int64_t SweepDraft::sweep_id() const { return state_->result.sweep_id; }
bool SweepDraft::resumed() const { return state_->result.resumed; }
int64_t SweepDraft::stored() const { return static_cast<int64_t>(state_->next_item); }
int64_t SweepDraft::total() const { return static_cast<int64_t>(state_->items->size()); }
bool SweepDraft::finished() const { return state_->phase == State::Phase::kFinished; }
const SweepSubmission& SweepDraft::submission() const { return state_->result; }

namespace {

using Phase = SweepDraft::State::Phase;

// Up to `limit` of the sweep's trials that existed when the draft began, after s->cursor
// (advanced past them). `unfinished_only`: pending, leased and running ones.
Result<std::vector<ScannedTrial>> ScanExisting(SqliteDb* db, SweepDraft::State* s, int64_t limit,
                                               bool unfinished_only) {
  CT_ASSIGN_OR_RETURN(
      auto scan,
      db->Prepare(std::string("SELECT id, key, state, attempt FROM trials NOT INDEXED WHERE "
                              "id > ?1 AND id <= ?2 AND sweep_id = ?3") +
                  (unfinished_only ? " AND state IN ('pending', 'leased', 'running')" : "") +
                  " ORDER BY id LIMIT ?4"));
  scan.Bind(1, s->cursor).Bind(2, s->last_id).Bind(3, s->result.sweep_id).Bind(4, limit);
  std::vector<ScannedTrial> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    CT_ASSIGN_OR_RETURN(TrialState state, ParseTrialState(scan.ColumnText(2)));
    out.push_back(
        {scan.ColumnInt(0), scan.ColumnText(1), state, static_cast<int>(scan.ColumnInt(3))});
  }
  s->cursor = static_cast<int64_t>(out.size()) < limit ? s->last_id : out.back().id;
  return out;
}

Result<int64_t> ReadExisting(SqliteDb* db, SweepDraft::State* s, int64_t budget) {
  CT_ASSIGN_OR_RETURN(auto rows, ScanExisting(db, s, budget, /*unfinished_only=*/false));
  for (auto& r : rows) s->existing.emplace(std::move(r.key), Existing{r.id, r.state, r.attempt});
  if (s->cursor >= s->last_id) {
    s->phase = Phase::kStoreItems;
    s->cursor = s->first_id - 1;  // the drop phase scans the same range again
  }
  return std::max<int64_t>(1, static_cast<int64_t>(rows.size()));
}

// Resume with an edited plan: unfinished trials the plan no longer has are cancelled.
Result<int64_t> DropUnplanned(ResultStore::Impl* impl, SweepDraft::State* s, int64_t budget) {
  SqliteDb* db = impl->db_.get();
  CT_ASSIGN_OR_RETURN(auto rows, ScanExisting(db, s, budget, /*unfinished_only=*/true));
  CT_ASSIGN_OR_RETURN(auto drop, db->Prepare("UPDATE trials SET state = 'cancelled', "
                                             "lease_id = NULL, lease_expires_ms = NULL, "
                                             "worker_group = NULL, updated_ms = ? "
                                             "WHERE id = ?"));
  for (const auto& r : rows) {
    if (s->first_index.count(r.key) != 0) continue;
    if (r.state != TrialState::kPending) {
      CT_RETURN_IF_ERROR(impl->CloseAttempt(r.id, r.attempt, "cancelled",
                                            "the resubmitted plan no longer has this trial"));
    }
    drop.Reset();
    CT_RETURN_IF_ERROR(drop.Bind(1, impl->Now()).Bind(2, r.id).Run());
    ++s->result.dropped;
  }
  if (s->cursor >= s->last_id) s->phase = Phase::kFinish;
  return std::max<int64_t>(1, static_cast<int64_t>(rows.size()));
}

// Stores items[next_item, next_item + budget).
Result<int64_t> StoreItems(ResultStore::Impl* impl, SweepDraft::State* s, int64_t budget) {
  SqliteDb* db = impl->db_.get();
  const int64_t now = impl->Now();
  const size_t end =
      s->next_item + std::min<size_t>(s->items->size() - s->next_item, static_cast<size_t>(budget));
  // Parse and check the step's items before writing any.
  std::vector<PlanRow> rows;
  rows.reserve(end - s->next_item);
  for (size_t i = s->next_item; i < end; ++i) {
    CT_ASSIGN_OR_RETURN(PlanRow row, ParseItem((*s->items)[i], i, &s->templates));
    auto [it, inserted] = s->first_index.emplace(row.key, i);
    if (!inserted) {
      return FieldError(i, "key",
                        "duplicates the key of items[" + std::to_string(it->second) + "]");
    }
    rows.push_back(std::move(row));
  }

  // Statements run once per item are prepared once (cached) and reset per row.
  CT_ASSIGN_OR_RETURN(auto requeue,
                      db->Prepare("UPDATE trials SET state = 'pending', failures = 0, "
                                  "not_before_ms = ?, error = '', lease_id = NULL, "
                                  "lease_expires_ms = NULL, worker_group = NULL, "
                                  "progress = 0, progress_note = '', updated_ms = ? "
                                  "WHERE id = ? AND state IN ('failed', 'cancelled')"));
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
                                                        "fields, sweep_id) VALUES (?, ?, ?)"));
  CT_ASSIGN_OR_RETURN(auto copy_metrics,
                      db->Prepare("INSERT INTO metrics(trial_id, name, value) "
                                  "SELECT ?, name, value FROM metrics WHERE trial_id = ?"));
  CT_ASSIGN_OR_RETURN(auto copy_curves,
                      db->Prepare("INSERT INTO curves(trial_id, name, step, value) "
                                  "SELECT ?, name, step, value FROM curves WHERE trial_id = ?"));

  SweepSubmission& result = s->result;
  for (const PlanRow& row : rows) {
    auto found = s->existing.empty() ? s->existing.end() : s->existing.find(std::string(row.key));
    if (found != s->existing.end()) {
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
    if (s->any_done) {
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
    if (row.templ != s->stored_template) {
      insert_template.Reset();
      CT_RETURN_IF_ERROR(insert_template.Bind(1, row.templ->text)
                             .Bind(2, row.templ->fields)
                             .Bind(3, result.sweep_id)
                             .Run());
      s->stored_template = row.templ;
      s->template_id = db->LastInsertRowid();
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
        .Bind(19, s->template_id)
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
  s->next_item = end;
  if (end == s->items->size()) {
    s->phase = result.resumed ? Phase::kDropUnplanned : Phase::kFinish;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(rows.size()));
}

// The sweep's settings, its audit records and its event; a new sweep becomes visible.
Status Finish(ResultStore::Impl* impl, SweepDraft::State* s) {
  SqliteDb* db = impl->db_.get();
  const NewSweep& sweep = s->sweep;
  const SweepSubmission& result = s->result;
  const int64_t now = impl->Now();
  CT_RETURN_IF_ERROR(impl->InsertAudit(
      sweep.user, result.resumed ? "resume" : "submit", sweep.name,
      "priority " + std::to_string(sweep.priority) + ", retries " + std::to_string(sweep.retries)));
  if (result.resumed && s->old_priority != sweep.priority) {
    CT_RETURN_IF_ERROR(impl->InsertAudit(
        sweep.user, "priority", sweep.name,
        "priority " + std::to_string(s->old_priority) + " -> " + std::to_string(sweep.priority)));
  }
  CT_ASSIGN_OR_RETURN(auto update, db->Prepare("UPDATE sweeps SET priority = ?, "
                                               "retries = ?, rerun = ?, cancelled = 0, "
                                               "spec_yaml = ?, updated_ms = ?, planning = 0 "
                                               "WHERE id = ?"));
  CT_RETURN_IF_ERROR(update.Bind(1, sweep.priority)
                         .Bind(2, sweep.retries)
                         .Bind(3, sweep.rerun ? 1 : 0)
                         .Bind(4, sweep.spec_yaml)
                         .Bind(5, now)
                         .Bind(6, result.sweep_id)
                         .Run());
  std::string summary = "sweep " + sweep.name + " by " + sweep.user + ": " +
                        std::to_string(s->items->size()) + " planned trials, " +
                        std::to_string(result.created) + " new, " + std::to_string(result.reused) +
                        " reused";
  if (result.resumed) {
    summary += ", " + std::to_string(result.requeued) + " re-queued, " +
               std::to_string(result.unchanged) + " kept, " + std::to_string(result.dropped) +
               " dropped";
  }
  CT_RETURN_IF_ERROR(impl->InsertEvent(result.resumed ? "sweep.resumed" : "sweep.created", summary,
                                       result.sweep_id, std::nullopt));
  s->phase = Phase::kFinished;
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SweepDraft>> ResultStore::Impl::BeginDraft(const NewSweep& sweep) {
  CT_RETURN_IF_ERROR(ValidateSweep(sweep));
  SqliteDb* db = db_.get();
  const int64_t now = Now();
  auto s = std::make_unique<SweepDraft::State>();
  s->sweep.name = sweep.name;
  s->sweep.spec_yaml = sweep.spec_yaml;
  s->sweep.user = sweep.user;
  s->sweep.priority = sweep.priority;
  s->sweep.retries = sweep.retries;
  s->sweep.rerun = sweep.rerun;
  s->items = &sweep.items;
  s->first_index.reserve(sweep.items.size());

  CT_ASSIGN_OR_RETURN(auto user, db->Prepare("INSERT OR IGNORE INTO users(name, created_ms) "
                                             "VALUES (?, ?)"));
  CT_RETURN_IF_ERROR(user.Bind(1, sweep.user).Bind(2, now).Run());
  SweepSubmission& result = s->result;
  std::string owner;
  bool planning = false;
  {
    CT_ASSIGN_OR_RETURN(
        auto find, db->Prepare("SELECT id, user, priority, planning FROM sweeps WHERE name = ?"));
    find.Bind(1, sweep.name);
    CT_ASSIGN_OR_RETURN(result.resumed, find.Step());
    if (result.resumed) {
      result.sweep_id = find.ColumnInt(0);
      owner = find.ColumnText(1);
      s->old_priority = static_cast<int>(find.ColumnInt(2));
      planning = find.ColumnInt(3) != 0;
    }
  }
  if (planning) {
    return FailedPrecondition("sweep \"" + sweep.name + "\" is being stored already (" + owner +
                              "'s submission, not finished; a coordinator that stopped while "
                              "storing it discards it when it starts)");
  }
  // Ownership: nobody takes over another user's sweep by submitting its name.
  if (result.resumed && owner != sweep.user && !sweep.may_resume_others) {
    return AlreadyExists("sweep \"" + sweep.name + "\" is owned by " + owner + "; user " +
                         sweep.user + " may not resubmit it (choose another sweep name)");
  }
  if (!result.resumed) {
    CT_ASSIGN_OR_RETURN(auto insert,
                        db->Prepare("INSERT INTO sweeps(name, user, priority, retries, rerun, "
                                    "spec_yaml, created_ms, updated_ms, planning) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"));
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
  } else {
    CT_ASSIGN_OR_RETURN(auto range, db->Prepare("SELECT coalesce(min(id), 0), "
                                                "coalesce(max(id), 0) FROM trials "
                                                "WHERE sweep_id = ?"));
    range.Bind(1, result.sweep_id);
    CT_ASSIGN_OR_RETURN(bool row, range.Step());
    if (row) {
      s->first_id = range.ColumnInt(0);
      s->last_id = range.ColumnInt(1);
    }
    s->cursor = s->first_id - 1;
    s->phase = Phase::kReadExisting;
  }
  if (!sweep.rerun) {
    CT_ASSIGN_OR_RETURN(auto probe, db->Prepare("SELECT 1 FROM trials INDEXED BY "
                                                "trials_done_key WHERE state = 'done' LIMIT 1"));
    CT_ASSIGN_OR_RETURN(s->any_done, probe.Step());
  }
  return std::make_unique<SweepDraft>(std::move(s));
}

Result<bool> ResultStore::Impl::StepDraft(SweepDraft* draft, int64_t max_rows) {
  SweepDraft::State* s = &draft->state();
  int64_t budget = std::max<int64_t>(1, max_rows);
  while (budget > 0 && s->phase != Phase::kFinished) {
    switch (s->phase) {
      case Phase::kReadExisting: {
        CT_ASSIGN_OR_RETURN(int64_t n, ReadExisting(db_.get(), s, budget));
        budget -= n;
        break;
      }
      case Phase::kStoreItems: {
        CT_ASSIGN_OR_RETURN(int64_t n, StoreItems(this, s, budget));
        budget -= n;
        break;
      }
      case Phase::kDropUnplanned: {
        CT_ASSIGN_OR_RETURN(int64_t n, DropUnplanned(this, s, budget));
        budget -= n;
        break;
      }
      case Phase::kFinish:
        CT_RETURN_IF_ERROR(Finish(this, s));
        break;
      case Phase::kFinished:
        break;
    }
  }
  return s->phase == Phase::kFinished;
}

Result<std::unique_ptr<SweepDraft>> ResultStore::BeginSweep(const NewSweep& sweep) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(impl_->db_.get()));
  CT_ASSIGN_OR_RETURN(auto draft, impl_->BeginDraft(sweep));
  CT_RETURN_IF_ERROR(txn->Commit());
  return draft;
}

Result<bool> ResultStore::StepSweep(SweepDraft* draft, int64_t max_rows) {
  if (draft->finished()) return true;
  if (draft->state().failed) {
    return FailedPrecondition("sweep " + draft->state().sweep.name +
                              ": a step of this draft failed; it cannot go on");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(impl_->db_.get()));
  auto done = impl_->StepDraft(draft, max_rows);
  if (done.ok()) {
    Status committed = txn->Commit();
    if (committed.ok()) return done;
    done = committed;
  }
  // The step rolled back but its progress in memory did not: the draft is spent.
  draft->state().failed = true;
  return done.status();
}

Result<bool> ResultStore::DiscardSweepDraft(int64_t sweep_id, int64_t max_rows) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  {
    CT_ASSIGN_OR_RETURN(auto find, db->Prepare("SELECT planning FROM sweeps WHERE id = ?"));
    find.Bind(1, sweep_id);
    CT_ASSIGN_OR_RETURN(bool found, find.Step());
    if (!found) return true;
    if (find.ColumnInt(0) == 0) {
      return FailedPrecondition("sweep " + std::to_string(sweep_id) +
                                " is stored and visible: it is cancelled, never discarded");
    }
  }
  std::vector<int64_t> ids;
  {
    CT_ASSIGN_OR_RETURN(auto list, db->Prepare("SELECT id FROM trials WHERE sweep_id = ? LIMIT ?"));
    list.Bind(1, sweep_id).Bind(2, max_rows);
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, list.Step());
      if (!row) break;
      ids.push_back(list.ColumnInt(0));
    }
  }
  // A planning sweep's trials were never leased: only reused ones have rows elsewhere.
  for (const char* sql :
       {"DELETE FROM metrics WHERE trial_id = ?", "DELETE FROM curves WHERE trial_id = ?",
        "DELETE FROM trials WHERE id = ?"}) {
    CT_ASSIGN_OR_RETURN(auto del, db->Prepare(sql));
    for (int64_t id : ids) {
      del.Reset();
      CT_RETURN_IF_ERROR(del.Bind(1, id).Run());
    }
  }
  bool gone = false;
  const int64_t left = max_rows - static_cast<int64_t>(ids.size());
  if (left > 0) {
    CT_ASSIGN_OR_RETURN(auto templates,
                        db->Prepare("DELETE FROM item_templates WHERE id IN (SELECT id FROM "
                                    "item_templates WHERE sweep_id = ? LIMIT ?)"));
    CT_RETURN_IF_ERROR(templates.Bind(1, sweep_id).Bind(2, left).Run());
    if (db->Changes() < left) {
      CT_ASSIGN_OR_RETURN(auto sweep, db->Prepare("DELETE FROM sweeps WHERE id = ?"));
      CT_RETURN_IF_ERROR(sweep.Bind(1, sweep_id).Run());
      gone = true;
    }
  }
  CT_RETURN_IF_ERROR(txn->Commit());
  return gone;
}

Result<std::vector<std::pair<int64_t, std::string>>> ResultStore::ListSweepDrafts() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt,
                      impl_->db_->Prepare("SELECT id, name FROM sweeps WHERE planning = 1"));
  std::vector<std::pair<int64_t, std::string>> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.emplace_back(stmt.ColumnInt(0), stmt.ColumnText(1));
  }
  return out;
}

}  // namespace chromatune
