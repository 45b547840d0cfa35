#include "storage/sweep_rows.h"

#include <set>
#include <string>
#include <utility>

#include "storage/result_store.h"
#include "storage/sqlite_db.h"
#include "storage/sweep_lookup.h"

namespace chromatune {
namespace {

nlohmann::json ParseOr(const std::string& text, nlohmann::json fallback) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? fallback : j;
}

std::string StringField(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<int64_t> IntField(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// dataset_options.eval.split: a list of names (or one name) joined with ','.
std::string EvalSplit(const nlohmann::json& item) {
  const nlohmann::json* eval = nullptr;
  if (auto options = item.find("dataset_options"); options != item.end() && options->is_object()) {
    if (auto e = options->find("eval"); e != options->end() && e->is_object()) eval = &*e;
  }
  if (eval == nullptr) return "";
  auto split = eval->find("split");
  if (split == eval->end()) return "";
  if (split->is_string()) return split->get<std::string>();
  std::string out;
  if (split->is_array()) {
    for (const auto& s : *split) {
      if (s.is_string()) out += (out.empty() ? "" : ",") + s.get<std::string>();
    }
  }
  return out;
}

// The plan item fields of a trial row that come from its template (shared by replicates).
struct TemplateFields {
  std::string backbone, shot_unit, precision, device, eval_split, classes;
  std::optional<int64_t> backbone_seed;
};

TemplateFields FieldsOf(const nlohmann::json& item) {
  TemplateFields f;
  f.backbone = StringField(item, "backbone");
  f.shot_unit = StringField(item, "shot_unit");
  f.precision = StringField(item, "precision");
  f.device = StringField(item, "device");
  f.eval_split = EvalSplit(item);
  f.classes = StringField(item, "classes");
  f.backbone_seed = IntField(item, "backbone_seed");
  return f;
}

}  // namespace

SweepRows::SweepRows(std::unique_ptr<SqliteDb> db, int64_t sweep_id, std::string sweep)
    : db_(std::move(db)), sweep_id_(sweep_id), sweep_(std::move(sweep)) {}

SweepRows::~SweepRows() {
  if (db_ != nullptr) (void)db_->Exec("COMMIT");  // ends the read transaction of Open
}

Result<std::unique_ptr<SweepRows>> SweepRows::Open(const std::string& db_path,
                                                   const std::string& sweep) {
  int64_t sweep_id = 0;
  {
    // The store's own checks (file, schema version) and the sweep's id.
    CT_ASSIGN_OR_RETURN(std::unique_ptr<ResultStore> store,
                        ResultStore::Open(db_path, StoreMode::kReadOnly));
    CT_ASSIGN_OR_RETURN(SweepInfo info, FindSweepNamingOthers(store.get(), db_path, sweep));
    sweep_id = info.id;
  }
  CT_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path, /*read_only=*/true, 5000));
  // One read transaction for every read of this object: a deferred BEGIN takes no write
  // lock, and in WAL mode the writer is never blocked by it.
  CT_RETURN_IF_ERROR(db->Exec("BEGIN"));
  return std::unique_ptr<SweepRows>(new SweepRows(std::move(db), sweep_id, sweep));
}

Result<std::vector<std::string>> SweepRows::ParamNames() {
  // Replicates share their params text: one parse per distinct text, in a streamed scan.
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT DISTINCT params_json FROM trials "
                                              "WHERE sweep_id = ?"));
  stmt.Bind(1, sweep_id_);
  std::set<std::string> names;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const nlohmann::json params = ParseOr(stmt.ColumnText(0), nlohmann::json::object());
    if (!params.is_object()) continue;
    for (const auto& item : params.items()) names.insert(item.key());
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> SweepRows::MetricNames() {
  CT_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT DISTINCT m.name FROM metrics m JOIN trials "
                                              "t ON t.id = m.trial_id WHERE t.sweep_id = ? "
                                              "ORDER BY m.name"));
  stmt.Bind(1, sweep_id_);
  std::vector<std::string> names;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    names.push_back(stmt.ColumnText(0));
  }
  return names;
}

Status SweepRows::ForEachTrial(const std::function<Status(const SweepTrialRow&)>& row_fn) {
  CT_ASSIGN_OR_RETURN(
      auto trials,
      db_->Prepare("SELECT t.id, t.idx, t.key, t.state, t.task, t.dataset, t.method, t.shots, "
                   "t.data_seed, t.train_seed, t.ranks, t.params_json, t.attempt, t.failures, "
                   "t.reused_from, t.error, t.info_json, t.wall_seconds, t.created_ms, "
                   "t.updated_ms, t.template_id, it.item_json, a.worker_group, g.host "
                   "FROM trials t LEFT JOIN item_templates it ON it.id = t.template_id "
                   "LEFT JOIN attempts a ON a.trial_id = t.id AND a.attempt = t.attempt "
                   "LEFT JOIN worker_groups g ON g.id = a.worker_group "
                   "WHERE t.sweep_id = ? ORDER BY t.id"));
  trials.Bind(1, sweep_id_);
  // Metrics in trial id order (primary key (trial_id, name)), merged with the trials.
  CT_ASSIGN_OR_RETURN(auto metrics, db_->Prepare("SELECT m.trial_id, m.name, m.value FROM trials "
                                                 "t JOIN metrics m ON m.trial_id = t.id WHERE "
                                                 "t.sweep_id = ? ORDER BY m.trial_id, m.name"));
  metrics.Bind(1, sweep_id_);
  CT_ASSIGN_OR_RETURN(bool metric_row, metrics.Step());
  // Runs of replicates share a template and a params text: the last parse is reused.
  int64_t last_template = -1;
  TemplateFields fields;
  std::string last_params_text;
  nlohmann::json params = nlohmann::json::object();
  SweepTrialRow r;
  r.sweep = sweep_;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, trials.Step());
    if (!row) break;
    r.trial_id = trials.ColumnInt(0);
    r.index = trials.ColumnInt(1);
    r.key = trials.ColumnText(2);
    r.state = trials.ColumnText(3);
    r.task = trials.ColumnText(4);
    r.dataset = trials.ColumnText(5);
    r.method = trials.ColumnText(6);
    r.shots = trials.ColumnInt(7);
    r.data_seed = trials.ColumnInt(8);
    r.train_seed = trials.ColumnInt(9);
    r.ranks = trials.ColumnInt(10);
    std::string params_text = trials.ColumnText(11);
    if (params_text != last_params_text) {
      params = ParseOr(params_text, nlohmann::json::object());
      last_params_text = std::move(params_text);
    }
    r.params = params;
    r.attempt = trials.ColumnInt(12);
    r.failures = trials.ColumnInt(13);
    r.reused_from =
        trials.ColumnIsNull(14) ? std::nullopt : std::optional<int64_t>(trials.ColumnInt(14));
    r.error = trials.ColumnText(15);
    const nlohmann::json info = trials.ColumnIsNull(16)
                                    ? nlohmann::json::object()
                                    : ParseOr(trials.ColumnText(16), nlohmann::json::object());
    r.wall_seconds = trials.ColumnDouble(17);
    r.created_ms = trials.ColumnInt(18);
    r.updated_ms = trials.ColumnInt(19);
    const int64_t template_id = trials.ColumnIsNull(20) ? 0 : trials.ColumnInt(20);
    if (template_id != last_template) {
      fields = FieldsOf(ParseOr(trials.ColumnText(21), nlohmann::json::object()));
      last_template = template_id;
    }
    r.backbone = fields.backbone;
    r.shot_unit = fields.shot_unit;
    r.precision = fields.precision;
    r.eval_split = fields.eval_split;
    r.classes = fields.classes;
    r.backbone_seed = fields.backbone_seed;
    const std::string info_device = StringField(info, "device");
    r.device = info_device.empty() ? fields.device : info_device;
    r.epochs_run = IntField(info, "epochs_run");
    r.worker_group =
        trials.ColumnIsNull(22) ? std::nullopt : std::optional<int64_t>(trials.ColumnInt(22));
    r.worker_host = trials.ColumnText(23);
    r.metrics.clear();
    while (metric_row && metrics.ColumnInt(0) <= r.trial_id) {
      if (metrics.ColumnInt(0) == r.trial_id) {
        r.metrics.emplace(metrics.ColumnText(1), metrics.ColumnDouble(2));
      }
      CT_ASSIGN_OR_RETURN(metric_row, metrics.Step());
    }
    CT_RETURN_IF_ERROR(row_fn(r));
  }
  return Status::Ok();
}

Status SweepRows::ForEachCurvePoint(const std::function<Status(const SweepCurveRow&)>& row_fn) {
  CT_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT c.trial_id, t.method, t.shots, t.data_seed, t.train_seed, "
                              "c.name, c.step, c.value FROM trials t JOIN curves c ON "
                              "c.trial_id = t.id WHERE t.sweep_id = ? "
                              "ORDER BY c.trial_id, c.name, c.step"));
  stmt.Bind(1, sweep_id_);
  SweepCurveRow r;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    r.trial_id = stmt.ColumnInt(0);
    r.method = stmt.ColumnText(1);
    r.shots = stmt.ColumnInt(2);
    r.data_seed = stmt.ColumnInt(3);
    r.train_seed = stmt.ColumnInt(4);
    r.curve = stmt.ColumnText(5);
    r.step = stmt.ColumnInt(6);
    r.value = stmt.ColumnDouble(7);
    CT_RETURN_IF_ERROR(row_fn(r));
  }
  return Status::Ok();
}

}  // namespace chromatune
