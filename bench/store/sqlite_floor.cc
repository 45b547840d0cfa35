#include "bench/store/sqlite_floor.h"

#include <algorithm>

#include "bench/store/bench_clock.h"
#include "storage/result_store.h"
#include "storage/sqlite_db.h"
#include "storage/trial_key_hash.h"

namespace chromatune::bench {
namespace {

// The store's statements (storage/result_store_sweeps.cc, result_store_transitions.cc).
constexpr const char* kInsertTrial =
    "INSERT INTO trials(sweep_id, idx, key, state, task, dataset, method, shots, data_seed, "
    "train_seed, ranks, params_json, not_before_ms, reused_from, info_json, wall_seconds, "
    "created_ms, updated_ms, template_id, key_hash) VALUES (?, ?, ?, 'pending', "
    "'classification', 'fashion-mnist', ?, ?, ?, ?, 1, ?, 0, NULL, NULL, 0, 0, 0, ?, ?)";
constexpr const char* kInsertTemplate =
    "INSERT INTO item_templates(item_json, fields) VALUES (?, ?)";
constexpr const char* kInsertAttempt =
    "INSERT INTO attempts(trial_id, attempt, lease_id, worker_group, leased_ms) "
    "VALUES (?, 1, 'L', 1, 0)";
constexpr const char* kLeaseTrial =
    "UPDATE trials SET state = 'leased', attempt = 1, lease_id = 'L', lease_expires_ms = ?, "
    "worker_group = 1, progress = 0, progress_note = '', updated_ms = 0 WHERE id = ?";
constexpr const char* kCloseAttempt =
    "UPDATE attempts SET ended_ms = 0, outcome = 'done', error = '' WHERE trial_id = ? AND "
    "attempt = 1";
constexpr const char* kInsertMetric =
    "INSERT OR REPLACE INTO metrics(trial_id, name, value) VALUES (?, ?, ?)";
constexpr const char* kCompleteTrial =
    "UPDATE trials SET state = 'done', error = '', lease_id = NULL, lease_expires_ms = NULL, "
    "worker_group = NULL, progress = 1, info_json = '{}', wall_seconds = 1, updated_ms = 0 "
    "WHERE id = ?";

Result<int64_t> CreateEmptySweep(const std::string& path) {
  CT_ASSIGN_OR_RETURN(auto store, ResultStore::Open(path, StoreMode::kReadWrite));
  NewSweep sweep;
  sweep.name = "floor";
  sweep.user = "bench";
  CT_ASSIGN_OR_RETURN(SweepSubmission sub, store->CreateSweep(sweep));
  return sub.sweep_id;
}

}  // namespace

Result<FloorTimes> MeasureSqliteFloor(const std::string& path, const std::vector<FloorRow>& rows,
                                      int batch) {
  CT_ASSIGN_OR_RETURN(int64_t sweep_id, CreateEmptySweep(path));
  CT_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, /*read_only=*/false, 5000));
  // ResultStore::Open's connection settings (the file is in WAL mode already).
  CT_RETURN_IF_ERROR(
      db->Exec("PRAGMA cache_size = -32768; PRAGMA synchronous = NORMAL; "
               "PRAGMA foreign_keys = ON"));
  FloorTimes times;
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  {
    Clock clock;
    CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db.get()));
    CT_ASSIGN_OR_RETURN(auto trial, db->Prepare(kInsertTrial));
    CT_ASSIGN_OR_RETURN(auto templ, db->Prepare(kInsertTemplate));
    int64_t template_id = 0;
    for (const FloorRow& r : rows) {
      if (!r.template_json.empty()) {
        templ.Reset();
        CT_RETURN_IF_ERROR(templ.Bind(1, r.template_json).Bind(2, r.template_fields).Run());
        template_id = db->LastInsertRowid();
      }
      trial.Reset();
      CT_RETURN_IF_ERROR(trial.Bind(1, sweep_id)
                             .Bind(2, r.index)
                             .Bind(3, r.key)
                             .Bind(4, r.method)
                             .Bind(5, r.shots)
                             .Bind(6, r.data_seed)
                             .Bind(7, r.train_seed)
                             .Bind(8, r.params_json)
                             .Bind(9, template_id)
                             .Bind(10, TrialKeyHash(r.key))
                             .Run());
      ids.push_back(db->LastInsertRowid());
    }
    CT_RETURN_IF_ERROR(txn->Commit());
    times.create = clock.Elapsed();
  }
  Clock clock;
  for (size_t start = 0; start < ids.size(); start += static_cast<size_t>(batch)) {
    const size_t end = std::min(ids.size(), start + static_cast<size_t>(batch));
    {
      CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db.get()));
      CT_ASSIGN_OR_RETURN(auto attempt, db->Prepare(kInsertAttempt));
      CT_ASSIGN_OR_RETURN(auto lease, db->Prepare(kLeaseTrial));
      for (size_t i = start; i < end; ++i) {
        attempt.Reset();
        CT_RETURN_IF_ERROR(attempt.Bind(1, ids[i]).Run());
        lease.Reset();
        CT_RETURN_IF_ERROR(lease.Bind(1, INT64_MAX).Bind(2, ids[i]).Run());
      }
      CT_RETURN_IF_ERROR(txn->Commit());
    }
    CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db.get()));
    CT_ASSIGN_OR_RETURN(auto close, db->Prepare(kCloseAttempt));
    CT_ASSIGN_OR_RETURN(auto metric, db->Prepare(kInsertMetric));
    CT_ASSIGN_OR_RETURN(auto done, db->Prepare(kCompleteTrial));
    for (size_t i = start; i < end; ++i) {
      close.Reset();
      CT_RETURN_IF_ERROR(close.Bind(1, ids[i]).Run());
      metric.Reset();
      CT_RETURN_IF_ERROR(metric.Bind(1, ids[i]).Bind(2, "accuracy").Bind(3, 0.5).Run());
      metric.Reset();
      CT_RETURN_IF_ERROR(metric.Bind(1, ids[i]).Bind(2, "loss").Bind(3, 0.5).Run());
      done.Reset();
      CT_RETURN_IF_ERROR(done.Bind(1, ids[i]).Run());
    }
    CT_RETURN_IF_ERROR(txn->Commit());
  }
  times.complete = clock.Elapsed();
  return times;
}

}  // namespace chromatune::bench
