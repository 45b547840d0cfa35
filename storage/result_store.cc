// ResultStore: opening, enums and reads. Sweep submission: result_store_sweeps.cc;
// transitions: result_store_transitions.cc; groups, users, events: result_store_registry.cc.
#include "storage/result_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <unordered_map>

#include <openssl/rand.h>

#include "common/wall_clock.h"
#include "storage/item_template.h"
#include "storage/migrations.h"
#include "storage/result_store_impl.h"

namespace chromatune {

const int ResultStore::kSchemaVersion = LatestSchemaVersion();

const char* TrialStateName(TrialState state) {
  switch (state) {
    case TrialState::kPending:
      return "pending";
    case TrialState::kLeased:
      return "leased";
    case TrialState::kRunning:
      return "running";
    case TrialState::kDone:
      return "done";
    case TrialState::kFailed:
      return "failed";
    case TrialState::kCancelled:
      return "cancelled";
    case TrialState::kStopped:
      return "stopped";
  }
  return "unknown";
}

Result<TrialState> ParseTrialState(const std::string& text) {
  for (TrialState s :
       {TrialState::kPending, TrialState::kLeased, TrialState::kRunning, TrialState::kDone,
        TrialState::kFailed, TrialState::kCancelled, TrialState::kStopped}) {
    if (text == TrialStateName(s)) return s;
  }
  return InvalidArgument(
      "unknown trial state \"" + text +
      "\" (expected pending, leased, running, done, failed, cancelled or stopped)");
}

bool IsTerminal(TrialState state) {
  return state == TrialState::kDone || state == TrialState::kFailed ||
         state == TrialState::kCancelled || state == TrialState::kStopped;
}

const char* const kTrialColumns =
    "t.id, t.sweep_id, s.name, t.idx, t.key, t.state, t.attempt, t.failures, t.ranks, "
    "t.not_before_ms, coalesce(t.lease_expires_ms, 0), coalesce(t.lease_id, ''), "
    "coalesce(t.worker_group, 0), t.progress, t.progress_note, t.reused_from, t.error, "
    "t.wall_seconds, t.created_ms, t.updated_ms, t.data_seed, t.train_seed, "
    "(SELECT item_json FROM item_templates WHERE id = t.template_id), "
    "(SELECT fields FROM item_templates WHERE id = t.template_id)";

TrialRecord ReadTrialRow(const SqliteStatement& stmt) {
  TrialRecord t;
  t.id = stmt.ColumnInt(0);
  t.sweep_id = stmt.ColumnInt(1);
  t.sweep = stmt.ColumnText(2);
  t.index = stmt.ColumnInt(3);
  t.key = stmt.ColumnText(4);
  // The CHECK constraint admits only valid names.
  t.state = ParseTrialState(stmt.ColumnText(5)).value();
  t.attempt = static_cast<int>(stmt.ColumnInt(6));
  t.failures = static_cast<int>(stmt.ColumnInt(7));
  t.ranks = static_cast<int>(stmt.ColumnInt(8));
  t.not_before_ms = stmt.ColumnInt(9);
  t.lease_expires_ms = stmt.ColumnInt(10);
  t.lease_id = stmt.ColumnText(11);
  t.worker_group = stmt.ColumnInt(12);
  t.progress = stmt.ColumnDouble(13);
  t.progress_note = stmt.ColumnText(14);
  if (!stmt.ColumnIsNull(15)) t.reused_from = stmt.ColumnInt(15);
  t.error = stmt.ColumnText(16);
  t.wall_seconds = stmt.ColumnDouble(17);
  t.created_ms = stmt.ColumnInt(18);
  t.updated_ms = stmt.ColumnInt(19);
  t.item = ItemFromTemplate(
      nlohmann::json::parse(stmt.ColumnText(22), nullptr, /*allow_exceptions=*/false),
      static_cast<int>(stmt.ColumnInt(23)), t.key, t.index, stmt.ColumnInt(20), stmt.ColumnInt(21));
  return t;
}

std::string DescribeTrial(const TrialRecord& t) {
  return "trial " + std::to_string(t.id) + " (state " + TrialStateName(t.state) +
         ", current attempt " + std::to_string(t.attempt) + ")";
}

Status ResultStore::Impl::CheckWritable() const {
  if (mode_ == StoreMode::kReadOnly) {
    return FailedPrecondition(path_ + ": the store is open read-only");
  }
  return Status::Ok();
}

Result<std::string> ResultStore::Impl::NewLeaseId(int64_t trial_id, int attempt) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Internal("cannot draw a lease id: OpenSSL's RAND_bytes failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof bytes);
  for (unsigned char b : bytes) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return "L" + std::to_string(trial_id) + "." + std::to_string(attempt) + "." + hex;
}

Status ResultStore::Impl::InsertAudit(const std::string& user, const std::string& action,
                                      const std::string& sweep, const std::string& detail) {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("INSERT INTO audit(time_ms, user, action, sweep, "
                                              "detail) VALUES (?, ?, ?, ?, ?)"));
  return stmt.Bind(1, Now()).Bind(2, user).Bind(3, action).Bind(4, sweep).Bind(5, detail).Run();
}

Result<TrialCounts> ResultStore::Impl::Counts(int64_t sweep_id) {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT state, count(*) FROM trials "
                                              "WHERE sweep_id = ? GROUP BY state"));
  stmt.Bind(1, sweep_id);
  TrialCounts c;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const std::string state = stmt.ColumnText(0);
    const int64_t n = stmt.ColumnInt(1);
    if (state == "pending") c.pending = n;
    if (state == "leased") c.leased = n;
    if (state == "running") c.running = n;
    if (state == "done") c.done = n;
    if (state == "failed") c.failed = n;
    if (state == "cancelled") c.cancelled = n;
    if (state == "stopped") c.stopped = n;
  }
  return c;
}

Result<SweepInfo> ResultStore::Impl::LoadSweep(const std::string& where, int64_t id,
                                               const std::string& name) {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT id, name, user, priority, retries, rerun, "
                                              "cancelled, created_ms, updated_ms, spec_yaml, "
                                              "infra_requeues FROM sweeps WHERE planning = 0 AND " +
                                              where));
  if (where.rfind("id", 0) == 0) {
    stmt.Bind(1, id);
  } else {
    stmt.Bind(1, name);
  }
  CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFound(path_ + ": no sweep " +
                    (name.empty() ? "with id " + std::to_string(id) : "named \"" + name + "\""));
  }
  SweepInfo s;
  s.id = stmt.ColumnInt(0);
  s.name = stmt.ColumnText(1);
  s.user = stmt.ColumnText(2);
  s.priority = static_cast<int>(stmt.ColumnInt(3));
  s.retries = static_cast<int>(stmt.ColumnInt(4));
  s.rerun = stmt.ColumnInt(5) != 0;
  s.cancelled = stmt.ColumnInt(6) != 0;
  s.created_ms = stmt.ColumnInt(7);
  s.updated_ms = stmt.ColumnInt(8);
  s.spec_yaml = stmt.ColumnText(9);
  s.infra_requeues = stmt.ColumnInt(10);
  CT_ASSIGN_OR_RETURN(s.counts, Counts(s.id));
  return s;
}

Result<TrialRecord> ResultStore::Impl::LoadTrial(int64_t trial_id) {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare(std::string("SELECT ") + kTrialColumns +
                                              " FROM trials t JOIN sweeps s ON s.id = t.sweep_id "
                                              "WHERE t.id = ?"));
  stmt.Bind(1, trial_id);
  CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound(path_ + ": no trial with id " + std::to_string(trial_id));
  return ReadTrialRow(stmt);
}

Status ResultStore::Impl::InsertEvent(const std::string& kind, const std::string& message,
                                      std::optional<int64_t> sweep_id,
                                      std::optional<int64_t> trial_id) {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("INSERT INTO events(time_ms, kind, sweep_id, "
                                              "trial_id, message) VALUES (?, ?, ?, ?, ?)"));
  stmt.Bind(1, Now()).Bind(2, kind).Bind(5, message);
  if (sweep_id) {
    stmt.Bind(3, *sweep_id);
  } else {
    stmt.BindNull(3);
  }
  if (trial_id) {
    stmt.Bind(4, *trial_id);
  } else {
    stmt.BindNull(4);
  }
  return stmt.Run();
}

namespace {

std::string ParentDir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Clear errors for the common filesystem problems before SQLite reports them tersely.
Status CheckPathUsable(const std::string& path, StoreMode mode) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return InvalidArgument(path + ": is a directory, not a database");
    const int want = mode == StoreMode::kReadOnly ? R_OK : (R_OK | W_OK);
    if (access(path.c_str(), want) != 0) {
      return PermissionDenied(path + ": no permission to " +
                              (mode == StoreMode::kReadOnly ? "read" : "read and write") +
                              " the database");
    }
    if (mode == StoreMode::kReadWrite && access(ParentDir(path).c_str(), W_OK) != 0) {
      return PermissionDenied(path + ": the directory " + ParentDir(path) +
                              " is not writable (SQLite needs it for the WAL file)");
    }
    return Status::Ok();
  }
  if (mode == StoreMode::kReadOnly) return NotFound(path + ": no such database file");
  const std::string dir = ParentDir(path);
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return NotFound(path + ": the directory " + dir + " does not exist");
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return PermissionDenied(path + ": cannot create the database: the directory " + dir +
                            " is not writable");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ResultStore>> ResultStore::Open(const std::string& path, StoreMode mode,
                                                       StoreOptions options) {
  if (!options.now_ms) options.now_ms = WallClockMs;
  CT_RETURN_IF_ERROR(CheckPathUsable(path, mode));
  const bool read_only = mode == StoreMode::kReadOnly;
  CT_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, read_only, options.busy_timeout_ms));
  // 32 MiB of page cache: a 100,000-trial store's indexes stay in memory (the default 2 MiB
  // makes every batched transition re-read index pages).
  CT_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -32768"));
  // Reads only: a file that is not SQLite, or not ours, is refused before anything is written.
  CT_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db.get()));
  if (version > LatestSchemaVersion()) {
    return FailedPrecondition(path + ": the database has schema version " +
                              std::to_string(version) + " but this chromatune reads at most " +
                              std::to_string(LatestSchemaVersion()) +
                              "; upgrade chromatune (the file was not modified)");
  }
  if (read_only) {
    if (version == 0) {
      return FailedPrecondition(path + ": empty database, not a chromatune result store");
    }
    if (version < LatestSchemaVersion()) {
      return FailedPrecondition(path + ": schema version " + std::to_string(version) +
                                " is older than " + std::to_string(LatestSchemaVersion()) +
                                "; open it read-write once (e.g. start the coordinator) to "
                                "migrate it");
    }
  } else {
    // A damaged page found now is an error before we write; cost is linear in the file size
    // and paid once per coordinator start.
    {
      CT_ASSIGN_OR_RETURN(auto check, db->Prepare("PRAGMA quick_check(1)"));
      CT_ASSIGN_OR_RETURN(bool row, check.Step());
      if (row && check.ColumnText(0) != "ok") {
        return Corruption(path + ": the database file is damaged (" + check.ColumnText(0) +
                          "); nothing was written");
      }
    }  // the statement resets here, ending its read transaction
    CT_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
    // WAL + NORMAL survives process crashes; FULL also survives power loss (StoreOptions).
    CT_RETURN_IF_ERROR(db->Exec(options.sync_every_commit ? "PRAGMA synchronous = FULL"
                                                          : "PRAGMA synchronous = NORMAL"));
    CT_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
    CT_RETURN_IF_ERROR(Migrate(db.get(), options.now_ms()));
    version = LatestSchemaVersion();
  }
  auto impl = std::make_unique<Impl>(path, mode, std::move(options), std::move(db));
  impl->schema_version_ = version;
  return std::unique_ptr<ResultStore>(new ResultStore(std::move(impl)));
}

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultStore::~ResultStore() = default;

const std::string& ResultStore::path() const { return impl_->path_; }
StoreMode ResultStore::mode() const { return impl_->mode_; }
int ResultStore::schema_version() const { return impl_->schema_version_; }

Result<SweepInfo> ResultStore::GetSweep(const std::string& name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->LoadSweep("name = ?", 0, name);
}

Result<SweepInfo> ResultStore::GetSweepById(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->LoadSweep("id = ?", sweep_id, "");
}

Result<std::vector<SweepInfo>> ResultStore::ListSweeps() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<int64_t> ids;
  {
    CT_ASSIGN_OR_RETURN(auto stmt, impl_->db_->Prepare("SELECT id FROM sweeps WHERE planning = 0 "
                                                       "ORDER BY id DESC"));
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ids.push_back(stmt.ColumnInt(0));
    }
  }
  std::vector<SweepInfo> out;
  for (int64_t id : ids) {
    CT_ASSIGN_OR_RETURN(auto s, impl_->LoadSweep("id = ?", id, ""));
    out.push_back(std::move(s));
  }
  return out;
}

Result<TrialCounts> ResultStore::CountTrials(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Counts(sweep_id);
}

Result<TrialRecord> ResultStore::GetTrial(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->LoadTrial(trial_id);
}

Result<std::vector<TrialRecord>> ResultStore::ListTrials(const TrialFilter& filter) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string sql = std::string("SELECT ") + kTrialColumns +
                    " FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id > ?1 AND "
                    "s.planning = 0";
  if (filter.sweep_id) sql += " AND t.sweep_id = ?2";
  if (filter.state) sql += " AND t.state = ?3";
  sql += " ORDER BY t.id LIMIT ?4";
  CT_ASSIGN_OR_RETURN(auto stmt, impl_->db_->Prepare(sql));
  stmt.Bind(1, filter.after_id);
  if (filter.sweep_id) stmt.Bind(2, *filter.sweep_id);
  if (filter.state) stmt.Bind(3, TrialStateName(*filter.state));
  stmt.Bind(4, filter.limit > 0 ? filter.limit : int64_t{-1});
  std::vector<TrialRecord> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadTrialRow(stmt));
  }
  return out;
}

Result<std::vector<AttemptRecord>> ResultStore::ListAttempts(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt,
                      impl_->db_->Prepare("SELECT attempt, lease_id, worker_group, leased_ms, "
                                          "started_ms, ended_ms, outcome, error FROM attempts "
                                          "WHERE trial_id = ? ORDER BY attempt"));
  stmt.Bind(1, trial_id);
  std::vector<AttemptRecord> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    AttemptRecord a;
    a.trial_id = trial_id;
    a.attempt = static_cast<int>(stmt.ColumnInt(0));
    a.lease_id = stmt.ColumnText(1);
    a.worker_group = stmt.ColumnInt(2);
    a.leased_ms = stmt.ColumnInt(3);
    a.started_ms = stmt.ColumnInt(4);
    a.ended_ms = stmt.ColumnInt(5);
    a.outcome = stmt.ColumnText(6);
    a.error = stmt.ColumnText(7);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<RunnableTrial>> ResultStore::ListRunnable(int64_t now_ms, int per_sweep_limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  struct SweepRow {
    int64_t id;
    std::string name, user;
    int priority;
  };
  std::vector<SweepRow> sweeps;
  {
    // Sweeps that have pending trials: one probe of the partial index per sweep.
    CT_ASSIGN_OR_RETURN(
        auto stmt,
        impl_->db_->Prepare("SELECT id, name, user, priority FROM sweeps s "
                            "WHERE cancelled = 0 AND planning = 0 AND EXISTS (SELECT 1 FROM trials "
                            "WHERE sweep_id = s.id AND state = 'pending') "
                            "ORDER BY priority DESC, id"));
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      sweeps.push_back({stmt.ColumnInt(0), stmt.ColumnText(1), stmt.ColumnText(2),
                        static_cast<int>(stmt.ColumnInt(3))});
    }
  }
  std::vector<RunnableTrial> out;
  for (const SweepRow& s : sweeps) {
    CT_ASSIGN_OR_RETURN(
        auto stmt, impl_->db_->Prepare("SELECT id, ranks, failures FROM trials INDEXED BY "
                                       "trials_pending WHERE sweep_id = ? AND state = 'pending' "
                                       "AND not_before_ms <= ? ORDER BY id LIMIT ?"));
    stmt.Bind(1, s.id).Bind(2, now_ms).Bind(3, static_cast<int64_t>(per_sweep_limit));
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      RunnableTrial r;
      r.trial_id = stmt.ColumnInt(0);
      r.sweep_id = s.id;
      r.sweep = s.name;
      r.user = s.user;
      r.priority = s.priority;
      r.ranks = static_cast<int>(stmt.ColumnInt(1));
      r.failures = static_cast<int>(stmt.ColumnInt(2));
      out.push_back(std::move(r));
    }
  }
  return out;
}

Result<std::vector<PendingDemand>> ResultStore::ListPendingDemand(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(
      auto stmt,
      impl_->db_->Prepare("SELECT s.id, s.name, s.user, s.priority, t.ranks, "
                          "sum(t.not_before_ms <= ?1), sum(t.not_before_ms > ?1), "
                          "coalesce(min(CASE WHEN t.not_before_ms > ?1 THEN t.not_before_ms "
                          "END), 0) FROM trials t JOIN sweeps s ON s.id = t.sweep_id "
                          "WHERE t.state = 'pending' AND s.cancelled = 0 AND s.planning = 0 "
                          "GROUP BY s.id, t.ranks ORDER BY s.priority DESC, s.id, t.ranks"));
  stmt.Bind(1, now_ms);
  std::vector<PendingDemand> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    PendingDemand d;
    d.sweep_id = stmt.ColumnInt(0);
    d.sweep = stmt.ColumnText(1);
    d.user = stmt.ColumnText(2);
    d.priority = static_cast<int>(stmt.ColumnInt(3));
    d.ranks = static_cast<int>(stmt.ColumnInt(4));
    d.runnable = stmt.ColumnInt(5);
    d.backing_off = stmt.ColumnInt(6);
    d.next_not_before_ms = stmt.ColumnInt(7);
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::map<std::string, double>> ResultStore::GetMetrics(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt,
                      impl_->db_->Prepare("SELECT name, value FROM metrics WHERE trial_id = ?"));
  stmt.Bind(1, trial_id);
  std::map<std::string, double> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out[stmt.ColumnText(0)] = stmt.ColumnDouble(1);
  }
  return out;
}

Result<nlohmann::json> ResultStore::GetTrialInfo(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt, impl_->db_->Prepare("SELECT info_json FROM trials WHERE id = ?"));
  stmt.Bind(1, trial_id);
  CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound(impl_->path_ + ": no trial with id " + std::to_string(trial_id));
  nlohmann::json info = stmt.ColumnIsNull(0) ? nlohmann::json::object()
                                             : nlohmann::json::parse(stmt.ColumnText(0), nullptr,
                                                                     /*allow_exceptions=*/false);
  return info.is_object() ? info : nlohmann::json::object();
}

Result<std::vector<CurvePoint>> ResultStore::GetCurves(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt, impl_->db_->Prepare("SELECT name, step, value FROM curves "
                                                     "WHERE trial_id = ? ORDER BY name, step"));
  stmt.Bind(1, trial_id);
  std::vector<CurvePoint> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.ColumnText(0), stmt.ColumnInt(1), stmt.ColumnDouble(2)});
  }
  return out;
}

Result<std::vector<TrialOutcome>> ResultStore::ListOutcomes(const std::string& sweep) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string where =
      std::string(" WHERE s.planning = 0") + (sweep.empty() ? "" : " AND s.name = ?");
  // The backbone seed is a member of the item (its template), not a column: read once per
  // template that has one.
  CT_ASSIGN_OR_RETURN(auto seeds,
                      impl_->db_->Prepare("SELECT i.id, json_extract(i.item_json, "
                                          "'$.backbone_seed') FROM item_templates i WHERE "
                                          "json_type(i.item_json, '$.backbone_seed') = 'integer' "
                                          "AND i.id IN (SELECT t.template_id FROM trials t JOIN "
                                          "sweeps s ON s.id = t.sweep_id" +
                                          where + ")"));
  if (!sweep.empty()) seeds.Bind(1, sweep);
  std::unordered_map<int64_t, int64_t> seed_of_template;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, seeds.Step());
    if (!row) break;
    seed_of_template[seeds.ColumnInt(0)] = seeds.ColumnInt(1);
  }
  CT_ASSIGN_OR_RETURN(auto trials,
                      impl_->db_->Prepare("SELECT t.id, s.name, t.task, t.dataset, t.method, "
                                          "t.shots, t.params_json, t.data_seed, t.train_seed, "
                                          "t.state, t.template_id FROM trials t JOIN sweeps s "
                                          "ON s.id = t.sweep_id" +
                                          where + " ORDER BY t.id"));
  if (!sweep.empty()) trials.Bind(1, sweep);
  std::vector<TrialOutcome> out;
  std::unordered_map<int64_t, size_t> position;
  // Replicates share their parameters: parse each distinct params text once.
  std::unordered_map<std::string, nlohmann::json> parsed_params;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, trials.Step());
    if (!row) break;
    TrialOutcome o;
    o.trial_id = trials.ColumnInt(0);
    o.sweep = trials.ColumnText(1);
    o.task = trials.ColumnText(2);
    o.dataset = trials.ColumnText(3);
    o.method = trials.ColumnText(4);
    o.shots = static_cast<int>(trials.ColumnInt(5));
    std::string params_text = trials.ColumnText(6);
    auto parsed = parsed_params.find(params_text);
    if (parsed == parsed_params.end()) {
      nlohmann::json params = nlohmann::json::parse(params_text, nullptr, false);
      parsed = parsed_params.emplace(std::move(params_text), std::move(params)).first;
    }
    o.params = parsed->second;
    o.data_seed = trials.ColumnInt(7);
    o.train_seed = trials.ColumnInt(8);
    o.state = trials.ColumnText(9);
    if (!seed_of_template.empty() && !trials.ColumnIsNull(10)) {
      auto seed = seed_of_template.find(trials.ColumnInt(10));
      if (seed != seed_of_template.end()) o.backbone_seed = seed->second;
    }
    position.emplace(o.trial_id, out.size());
    out.push_back(std::move(o));
  }
  CT_ASSIGN_OR_RETURN(auto metrics,
                      impl_->db_->Prepare("SELECT m.trial_id, m.name, m.value FROM metrics m "
                                          "JOIN trials t ON t.id = m.trial_id JOIN sweeps s ON "
                                          "s.id = t.sweep_id" +
                                          where));
  if (!sweep.empty()) metrics.Bind(1, sweep);
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, metrics.Step());
    if (!row) break;
    auto it = position.find(metrics.ColumnInt(0));
    if (it != position.end()) {
      out[it->second].metrics.emplace(metrics.ColumnText(1), metrics.ColumnDouble(2));
    }
  }
  return out;
}

}  // namespace chromatune
