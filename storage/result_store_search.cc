// ResultStore: the adaptive search's rows (schema 6): TPE suggestions, rung results, rung
// decisions, and the stop of a configuration's trials (docs/schema.md).
#include <algorithm>
#include <cmath>
#include <map>

#include "storage/result_store.h"
#include "storage/result_store_impl.h"

namespace chromatune {
namespace {

nlohmann::json ParseOr(const std::string& text, nlohmann::json fallback) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? fallback : j;
}

}  // namespace

Result<std::vector<SearchTrial>> ResultStore::ListSearchTrials(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  SqliteDb* db = impl_->db_.get();
  // The search member lives in the item template (shared by a run of replicates): each
  // template is parsed once.
  std::map<int64_t, nlohmann::json> searches;
  {
    CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("SELECT id, item_json FROM item_templates WHERE "
                                               "id IN (SELECT DISTINCT template_id FROM trials "
                                               "WHERE sweep_id = ?)"));
    stmt.Bind(1, sweep_id);
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      nlohmann::json item = ParseOr(stmt.ColumnText(1), nlohmann::json());
      if (item.is_object() && item.contains("search")) searches[stmt.ColumnInt(0)] = item["search"];
    }
  }
  std::vector<SearchTrial> out;
  if (searches.empty()) return out;
  CT_ASSIGN_OR_RETURN(auto stmt,
                      db->Prepare("SELECT t.id, t.state, t.attempt, t.progress, t.reused_from, "
                                  "t.params_json, t.template_id, t.info_json, s.name, t.method, "
                                  "t.shots, t.data_seed, t.train_seed FROM trials t "
                                  "JOIN sweeps s ON s.id = t.sweep_id "
                                  "WHERE t.sweep_id = ? ORDER BY t.id"));
  stmt.Bind(1, sweep_id);
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto search = searches.find(stmt.ColumnInt(6));
    if (search == searches.end()) continue;
    SearchTrial t;
    t.trial_id = stmt.ColumnInt(0);
    CT_ASSIGN_OR_RETURN(t.state, ParseTrialState(stmt.ColumnText(1)));
    t.attempt = static_cast<int>(stmt.ColumnInt(2));
    t.progress = stmt.ColumnDouble(3);
    t.reused = !stmt.ColumnIsNull(4);
    t.params = ParseOr(stmt.ColumnText(5), nlohmann::json::object());
    t.search = search->second;
    t.info =
        stmt.ColumnIsNull(7) ? nlohmann::json() : ParseOr(stmt.ColumnText(7), nlohmann::json());
    t.sweep = stmt.ColumnText(8);
    t.method = stmt.ColumnText(9);
    t.shots = static_cast<int>(stmt.ColumnInt(10));
    t.data_seed = stmt.ColumnInt(11);
    t.train_seed = stmt.ColumnInt(12);
    out.push_back(std::move(t));
  }
  return out;
}

Result<bool> ResultStore::AddRungReport(const RungReport& r) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  CT_ASSIGN_OR_RETURN(
      auto stmt, impl_->db_->Prepare("INSERT OR IGNORE INTO search_rungs(trial_id, rung, epoch, "
                                     "value, metrics_json, attempt, reported_ms) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  CT_RETURN_IF_ERROR(stmt.Bind(1, r.trial_id)
                         .Bind(2, r.rung)
                         .Bind(3, r.epoch)
                         .Bind(4, r.value)
                         .Bind(5, r.metrics.dump())
                         .Bind(6, r.attempt)
                         .Bind(7, r.reported_ms != 0 ? r.reported_ms : impl_->Now())
                         .Run());
  return impl_->db_->Changes() > 0;
}

Result<std::vector<RungReport>> ResultStore::ListRungReports(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt,
                      impl_->db_->Prepare("SELECT r.trial_id, r.rung, r.epoch, r.value, "
                                          "r.metrics_json, r.attempt, r.reported_ms "
                                          "FROM search_rungs r JOIN trials t ON t.id = r.trial_id "
                                          "WHERE t.sweep_id = ? ORDER BY r.trial_id, r.rung"));
  stmt.Bind(1, sweep_id);
  std::vector<RungReport> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    RungReport r;
    r.trial_id = stmt.ColumnInt(0);
    r.rung = static_cast<int>(stmt.ColumnInt(1));
    r.epoch = stmt.ColumnInt(2);
    r.value = stmt.ColumnDouble(3);
    r.metrics = ParseOr(stmt.ColumnText(4), nlohmann::json::object());
    r.attempt = static_cast<int>(stmt.ColumnInt(5));
    r.reported_ms = stmt.ColumnInt(6);
    out.push_back(std::move(r));
  }
  return out;
}

Status ResultStore::AddSuggestion(const SearchSuggestion& s,
                                  const std::vector<int64_t>& trial_ids) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_ASSIGN_OR_RETURN(auto insert, db->Prepare("INSERT OR IGNORE INTO search_suggestions(sweep_id, "
                                               "config, unit, params_json, created_ms) "
                                               "VALUES (?, ?, ?, ?, ?)"));
  const int64_t now = impl_->Now();
  const std::string params = s.params.dump();
  CT_RETURN_IF_ERROR(insert.Bind(1, s.sweep_id)
                         .Bind(2, s.config)
                         .Bind(3, s.unit)
                         .Bind(4, params)
                         .Bind(5, now)
                         .Run());
  if (db->Changes() == 0) {
    return AlreadyExists("configuration " + s.config + " has a suggestion already");
  }
  CT_ASSIGN_OR_RETURN(auto update, db->Prepare("UPDATE trials SET params_json = ?, updated_ms = ? "
                                               "WHERE id = ? AND sweep_id = ?"));
  for (int64_t id : trial_ids) {
    update.Reset();
    CT_RETURN_IF_ERROR(update.Bind(1, params).Bind(2, now).Bind(3, id).Bind(4, s.sweep_id).Run());
  }
  return txn->Commit();
}

Result<std::vector<SearchSuggestion>> ResultStore::ListSuggestions(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(
      auto stmt, impl_->db_->Prepare("SELECT config, unit, params_json, created_ms FROM "
                                     "search_suggestions WHERE sweep_id = ? ORDER BY created_ms"));
  stmt.Bind(1, sweep_id);
  std::vector<SearchSuggestion> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({sweep_id, stmt.ColumnText(1), stmt.ColumnText(0),
                   ParseOr(stmt.ColumnText(2), nlohmann::json::object()), stmt.ColumnInt(3)});
  }
  return out;
}

Result<std::vector<int64_t>> ResultStore::ApplySearchDecision(const SearchDecisionRecord& d,
                                                              const std::vector<int64_t>& trial_ids,
                                                              int64_t full_epochs) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  const int64_t now = impl_->Now();
  CT_ASSIGN_OR_RETURN(auto insert,
                      db->Prepare("INSERT OR IGNORE INTO search_decisions(sweep_id, unit, config, "
                                  "rung, epoch, mean, promoted, decided_ms) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  CT_RETURN_IF_ERROR(insert.Bind(1, d.sweep_id)
                         .Bind(2, d.unit)
                         .Bind(3, d.config)
                         .Bind(4, d.rung)
                         .Bind(5, d.epoch)
                         .Bind(6, d.mean)
                         .Bind(7, d.promoted ? 1 : 0)
                         .Bind(8, now)
                         .Run());
  if (db->Changes() == 0) {
    return AlreadyExists("configuration " + d.config + " is decided at rung " +
                         std::to_string(d.rung) + " already");
  }
  std::vector<int64_t> stopped;
  if (!d.promoted) {
    for (int64_t id : trial_ids) {
      CT_ASSIGN_OR_RETURN(TrialRecord t, impl_->LoadTrial(id));
      if (t.sweep_id != d.sweep_id || (IsTerminal(t.state) && t.state != TrialState::kDone)) {
        continue;
      }
      // The trial's last rung result: its metrics stand for a trial stopped before the end.
      int64_t last_epoch = 0;
      nlohmann::json last_metrics = nlohmann::json::object();
      std::vector<std::pair<int64_t, double>> points;
      {
        CT_ASSIGN_OR_RETURN(auto rungs,
                            db->Prepare("SELECT epoch, value, metrics_json FROM "
                                        "search_rungs WHERE trial_id = ? ORDER BY rung"));
        rungs.Bind(1, id);
        while (true) {
          CT_ASSIGN_OR_RETURN(bool row, rungs.Step());
          if (!row) break;
          last_epoch = rungs.ColumnInt(0);
          last_metrics = ParseOr(rungs.ColumnText(2), nlohmann::json::object());
          if (last_metrics.contains("accuracy") && last_metrics["accuracy"].is_number()) {
            points.emplace_back(last_epoch, last_metrics["accuracy"].get<double>());
          }
        }
      }
      int64_t epochs_run = last_epoch;
      if (t.state == TrialState::kDone) {
        epochs_run = full_epochs;
      } else if (t.state != TrialState::kPending) {
        epochs_run = std::max<int64_t>(
            epochs_run,
            static_cast<int64_t>(std::floor(t.progress * static_cast<double>(full_epochs))));
        CT_RETURN_IF_ERROR(impl_->CloseAttempt(
            id, t.attempt, "stopped", "stopped by the search at rung " + std::to_string(d.rung)));
      }
      nlohmann::json info = nlohmann::json::object();
      {
        CT_ASSIGN_OR_RETURN(auto read, db->Prepare("SELECT info_json FROM trials WHERE id = ?"));
        read.Bind(1, id);
        CT_ASSIGN_OR_RETURN(bool row, read.Step());
        if (row && !read.ColumnIsNull(0)) info = ParseOr(read.ColumnText(0), info);
        if (!info.is_object()) info = nlohmann::json::object();
      }
      info["stopped_at_rung"] = d.rung;
      info["stopped_at_epoch"] = d.epoch;
      info["epochs_run"] = epochs_run;
      CT_ASSIGN_OR_RETURN(auto update,
                          db->Prepare("UPDATE trials SET state = 'stopped', lease_id = NULL, "
                                      "lease_expires_ms = NULL, worker_group = NULL, "
                                      "info_json = ?, updated_ms = ? WHERE id = ?"));
      CT_RETURN_IF_ERROR(update.Bind(1, info.dump()).Bind(2, now).Bind(3, id).Run());
      if (t.state != TrialState::kDone) {
        CT_ASSIGN_OR_RETURN(auto metric, db->Prepare("INSERT OR IGNORE INTO metrics(trial_id, "
                                                     "name, value) VALUES (?, ?, ?)"));
        for (const auto& [name, value] : last_metrics.items()) {
          if (!value.is_number()) continue;
          metric.Reset();
          CT_RETURN_IF_ERROR(metric.Bind(1, id).Bind(2, name).Bind(3, value.get<double>()).Run());
        }
        CT_ASSIGN_OR_RETURN(auto curve, db->Prepare("INSERT OR IGNORE INTO curves(trial_id, name, "
                                                    "step, value) VALUES (?, 'accuracy', ?, ?)"));
        for (const auto& [epoch, value] : points) {
          curve.Reset();
          CT_RETURN_IF_ERROR(curve.Bind(1, id).Bind(2, epoch).Bind(3, value).Run());
        }
      }
      stopped.push_back(id);
    }
    CT_RETURN_IF_ERROR(impl_->InsertEvent(
        "search.stopped",
        "configuration " + d.config + " stopped at rung " + std::to_string(d.rung) + " (epoch " +
            std::to_string(d.epoch) + ", mean " + std::to_string(d.mean) +
            "): " + std::to_string(stopped.size()) + " trials stopped",
        d.sweep_id, std::nullopt));
  }
  CT_RETURN_IF_ERROR(txn->Commit());
  return stopped;
}

Result<std::vector<SearchDecisionRecord>> ResultStore::ListSearchDecisions(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt,
                      impl_->db_->Prepare("SELECT id, unit, config, rung, epoch, mean, promoted, "
                                          "decided_ms FROM search_decisions WHERE sweep_id = ? "
                                          "ORDER BY id"));
  stmt.Bind(1, sweep_id);
  std::vector<SearchDecisionRecord> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    SearchDecisionRecord d;
    d.id = stmt.ColumnInt(0);
    d.sweep_id = sweep_id;
    d.unit = stmt.ColumnText(1);
    d.config = stmt.ColumnText(2);
    d.rung = static_cast<int>(stmt.ColumnInt(3));
    d.epoch = stmt.ColumnInt(4);
    d.mean = stmt.ColumnDouble(5);
    d.promoted = stmt.ColumnInt(6) != 0;
    d.decided_ms = stmt.ColumnInt(7);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace chromatune
