#include "dashboards/dashboard.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "dashboards/group_activity.h"
#include "dashboards/trial_table.h"
#include "dashboards/web_assets.h"
#include "experiments/search/item_search.h"
#include "storage/artifact_store.h"
#include "storage/param_text.h"
#include "storage/report.h"
#include "storage/report_format.h"
#include "storage/search_summary.h"
#include "storage/trial_counts_json.h"

namespace chromatune::dashboards {
namespace {

using coordinator::HttpRequest;
using coordinator::HttpResponse;
using json = nlohmann::json;

constexpr const char* kApiPrefix = "/api/v1/dashboard/";
// Replicate points sent with a summary: beyond this many the page draws cells without
// their faint points, so a 100,000-trial sweep stays a small response.
constexpr size_t kMaxSummaryPoints = 20000;
// Trial table page size bounds.
constexpr int64_t kDefaultPageSize = 100;
constexpr int64_t kMaxPageSize = 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string QueryOr(const HttpRequest& r, const std::string& key, const std::string& fallback) {
  auto it = r.query.find(key);
  return it == r.query.end() || it->second.empty() ? fallback : it->second;
}

Result<int64_t> QueryInt(const HttpRequest& r, const std::string& key, int64_t fallback) {
  auto it = r.query.find(key);
  if (it == r.query.end() || it->second.empty()) return fallback;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument("trailing characters");
    return v;
  } catch (const std::exception&) {
    return InvalidArgument("query parameter \"" + key + "\": not an integer: \"" + it->second +
                           "\"");
  }
}

Result<std::string> RequireQuery(const HttpRequest& r, const std::string& key) {
  std::string v = QueryOr(r, key, "");
  if (v.empty()) return InvalidArgument("missing query parameter \"" + key + "\"");
  return v;
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string CellKey(const std::string& task, const std::string& dataset, const std::string& method,
                    int shots, const json& params) {
  return task + "\x1f" + dataset + "\x1f" + method + "\x1f" + std::to_string(shots) + "\x1f" +
         params.dump();
}

// Seconds left for a sweep, from its average pace so far; null before the first result.
json EtaSeconds(const SweepInfo& s, int64_t now_ms) {
  const int64_t finished = s.counts.done + s.counts.failed + s.counts.stopped;
  const int64_t left = s.counts.pending + s.counts.leased + s.counts.running;
  if (left == 0) return 0;
  if (finished == 0 || now_ms <= s.created_ms) return nullptr;
  const double per_trial = double(now_ms - s.created_ms) / 1000.0 / double(finished);
  return per_trial * double(left);
}

}  // namespace

// Reading a large sweep's outcomes and aggregating them take hundreds of ms; both are
// reused until the sweep's counts change (a finished trial changes them).
struct Dashboard::SummaryEntry {
  std::string signature;
  json value;
  std::string body;  // value.dump(), the response (a summary can be megabytes)
};

// A sweep's trials as read at one signature: the trial table (and so the outcomes) and what
// its adaptive search did (nullopt when the sweep does not search).
struct SweepTrials {
  std::string signature;
  std::shared_ptr<TrialTable> table;
  std::optional<SearchSummary> search;
};

struct Dashboard::SummaryCache {
  std::map<std::string, SummaryEntry> summaries;  // by sweep, metric, baseline, ddof
  std::map<std::string, SweepTrials> trials;      // by sweep name
};

Result<std::unique_ptr<Dashboard>> Dashboard::Open(const DashboardOptions& options) {
  std::unique_ptr<Dashboard> d(new Dashboard(options));
  if (d->options_.artifact_file.empty()) {
    d->options_.artifact_file = ArtifactStore::DefaultPathFor(options.db_path);
  }
  CT_ASSIGN_OR_RETURN(d->store_, ResultStore::Open(options.db_path, StoreMode::kReadOnly));
  d->cache_ = std::make_shared<SummaryCache>();
  return d;
}

bool Dashboard::Serves(const std::string& path) {
  return path.rfind(kApiPrefix, 0) == 0 || FindWebAsset(path) != nullptr;
}

HttpResponse Dashboard::Handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return HttpResponse::Error(405, "the dashboard is read-only: " + request.method + " " +
                                        request.path + " is not allowed");
  }
  try {
    auto r = Route(request);
    if (!r.ok()) return HttpResponse::Error(HttpStatusFor(r.status()), r.status().message());
    return std::move(r).value();
  } catch (const std::exception& e) {
    return HttpResponse::Error(500, std::string("dashboard: ") + e.what());
  }
}

namespace {

// A sweep's trials, read again only when the sweep's counts changed. Called under the
// dashboard mutex; the pointer is valid until the next call.
Result<const SweepTrials*> CachedTrials(ResultStore& store, const SweepInfo& sweep,
                                        const std::string& signature,
                                        std::map<std::string, SweepTrials>& cache) {
  auto it = cache.find(sweep.name);
  if (it != cache.end() && it->second.signature == signature) return &it->second;
  CT_ASSIGN_OR_RETURN(auto outcomes, store.ListOutcomes(sweep.name));
  SweepTrials read;
  read.signature = signature;
  CT_ASSIGN_OR_RETURN(read.search, SummarizeSearch(store, {sweep.id}));
  read.table = std::make_shared<TrialTable>(
      std::make_shared<const std::vector<TrialOutcome>>(std::move(outcomes)),
      read.search ? read.search->stopped : std::vector<StoppedTrial>{});
  SweepTrials& entry = cache[sweep.name];
  entry = std::move(read);
  return &entry;
}

std::string Signature(const SweepInfo& s) {
  return std::to_string(s.counts.pending) + "/" + std::to_string(s.counts.leased) + "/" +
         std::to_string(s.counts.running) + "/" + std::to_string(s.counts.done) + "/" +
         std::to_string(s.counts.failed) + "/" + std::to_string(s.counts.cancelled) + "/" +
         std::to_string(s.counts.stopped) + "/" + std::to_string(s.updated_ms);
}

Result<json> SweepsJson(ResultStore& store) {
  json out = {{"now_ms", NowMs()}, {"sweeps", json::array()}};
  CT_ASSIGN_OR_RETURN(auto sweeps, store.ListSweeps());
  for (const auto& s : sweeps) {
    out["sweeps"].push_back({{"name", s.name},
                             {"user", s.user},
                             {"priority", s.priority},
                             {"cancelled", s.cancelled},
                             {"created_ms", s.created_ms},
                             {"updated_ms", s.updated_ms},
                             {"counts", TrialCountsJson(s.counts)},
                             {"eta_s", EtaSeconds(s, out["now_ms"].get<int64_t>())}});
  }
  CT_ASSIGN_OR_RETURN(out["groups"], ReadGroupActivity(store, sweeps));
  return out;
}

// Parameters as the report prints them, beside the JSON of each cell ("swept") and paired
// row ("params": its swept ones), for the page's tables and legends.
void AddParamsText(json& report) {
  for (auto& c : report["cells"]) c["swept_text"] = ParamsText(c["swept"]);
  for (auto& p : report["paired"]) p["swept_text"] = ParamsText(p["params"]);
}

Result<json> SummaryJson(const std::vector<TrialOutcome>& outcomes, const ReportOptions& options) {
  json out;
  std::set<std::string> metrics;
  for (const auto& o : outcomes) {
    for (const auto& [name, value] : o.metrics) metrics.insert(name);
  }
  out["metrics"] = metrics;
  auto report = BuildReport(outcomes, options);
  if (!report.ok()) {
    if (report.status().code() != StatusCode::kNotFound) return report.status();
    // No finished trial carries the metric yet: an empty summary with the reason.
    out["cells"] = json::array();
    out["paired"] = json::array();
    out["notes"] = {report.status().message()};
    out["points"] = json::array();
    return out;
  }
  json r = ReportToJson(*report);
  AddParamsText(r);
  out["cells"] = std::move(r["cells"]);  // moved: a large sweep's report is megabytes
  out["paired"] = std::move(r["paired"]);
  out["notes"] = r.value("notes", json::array());
  out["metric"] = options.metric;
  out["baseline"] = options.baseline;
  out["ddof"] = options.ddof;
  // Replicate values per cell, in the order of r["cells"]; too many to draw: none (counted
  // first, so a 100,000-trial sweep does not match each trial to its cell for nothing).
  size_t total = 0;
  for (const auto& o : outcomes) total += o.state == "done" && o.metrics.count(options.metric);
  out["points_omitted"] = total > kMaxSummaryPoints;
  out["points"] = json::array();
  if (total > kMaxSummaryPoints) return out;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < report->cells.size(); ++i) {
    const auto& c = report->cells[i];
    index[CellKey(c.task, c.dataset, c.method, c.shots, c.params)] = i;
  }
  std::vector<json> points(report->cells.size(), json::array());
  for (const auto& o : outcomes) {
    if (o.state != "done") continue;
    auto m = o.metrics.find(options.metric);
    if (m == o.metrics.end()) continue;
    auto it = index.find(CellKey(o.task, o.dataset, o.method, o.shots, o.params));
    if (it == index.end()) continue;
    points[it->second].push_back({{"data_seed", o.data_seed},
                                  {"train_seed", o.train_seed},
                                  {"value", m->second},
                                  {"trial", o.trial_id}});
  }
  out["points"] = std::move(points);
  return out;
}

Result<ReportOptions> ReportOptionsFrom(const HttpRequest& request) {
  ReportOptions options;
  options.metric = QueryOr(request, "metric", "accuracy");
  options.baseline = QueryOr(request, "baseline", "finetune");
  CT_ASSIGN_OR_RETURN(int64_t ddof, QueryInt(request, "ddof", 1));
  if (ddof != 0 && ddof != 1) return InvalidArgument("query parameter \"ddof\": must be 0 or 1");
  options.ddof = static_cast<int>(ddof);
  return options;
}

Result<TrialQuery> TrialQueryFrom(const HttpRequest& request) {
  TrialQuery query;
  query.state = QueryOr(request, "state", "");
  query.method = QueryOr(request, "method", "");
  query.q = QueryOr(request, "q", "");
  query.sort = QueryOr(request, "sort", "id");
  query.metric = QueryOr(request, "metric", "accuracy");
  query.desc = QueryOr(request, "desc", "0") == "1";
  CT_ASSIGN_OR_RETURN(query.offset, QueryInt(request, "offset", 0));
  CT_ASSIGN_OR_RETURN(query.limit, QueryInt(request, "limit", kDefaultPageSize));
  if (query.offset < 0) return InvalidArgument("query parameter \"offset\": must be >= 0");
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return InvalidArgument("query parameter \"limit\": must be in [1, " +
                           std::to_string(kMaxPageSize) + "]");
  }
  return query;
}

// A searched trial's rungs and, once stopped, where: {"rung_epochs": [...],
// "stopped_at_rung", "stopped_at_epoch", "epochs_run"} (the last three only when stopped);
// null for a trial that is not part of an adaptive search.
Result<json> TrialSearchJson(ResultStore& store, const TrialRecord& trial) {
  auto item_search = search::ItemSearchOf(trial.item);
  if (!item_search.ok() || !item_search->has_value()) return json(nullptr);
  json out = {{"rung_epochs", (*item_search)->rungs}};
  if (trial.state != TrialState::kStopped) return out;
  CT_ASSIGN_OR_RETURN(json info, store.GetTrialInfo(trial.id));
  for (const char* key : {"stopped_at_rung", "stopped_at_epoch", "epochs_run"}) {
    if (info.contains(key)) out[key] = info[key];
  }
  return out;
}

json CurvesJson(const std::vector<CurvePoint>& points) {
  std::map<std::string, json> by_name;
  for (const auto& p : points) {
    auto& c = by_name[p.name];
    if (c.is_null()) c = {{"name", p.name}, {"steps", json::array()}, {"values", json::array()}};
    c["steps"].push_back(p.step);
    c["values"].push_back(p.value);
  }
  json out = json::array();
  for (auto& [name, c] : by_name) out.push_back(std::move(c));
  return out;
}

}  // namespace

Result<HttpResponse> Dashboard::Route(const HttpRequest& request) {
  if (const WebAsset* asset = FindWebAsset(request.path)) {
    HttpResponse r;
    r.content_type = std::string(asset->content_type);
    r.body = std::string(asset->body);
    r.headers["Cache-Control"] = "no-cache";
    return r;
  }
  if (request.path.rfind(kApiPrefix, 0) != 0) {
    return NotFound("no dashboard route " + request.path);
  }
  const std::string route = request.path.substr(std::string(kApiPrefix).size());
  std::lock_guard<std::mutex> lock(mu_);
  if (route == "sweeps") {
    CT_ASSIGN_OR_RETURN(json sweeps, SweepsJson(*store_));
    sweeps["can_cancel"] = options_.can_cancel;
    return HttpResponse::Json(200, sweeps);
  }
  if (route == "summary") {
    CT_ASSIGN_OR_RETURN(std::string name, RequireQuery(request, "sweep"));
    CT_ASSIGN_OR_RETURN(ReportOptions options, ReportOptionsFrom(request));
    CT_ASSIGN_OR_RETURN(const SummaryEntry* summary, CachedSummary(name, options));
    HttpResponse r;  // 200, JSON
    r.body = summary->body;
    return r;
  }
  if (route == "trials") {
    CT_ASSIGN_OR_RETURN(std::string name, RequireQuery(request, "sweep"));
    CT_ASSIGN_OR_RETURN(TrialQuery query, TrialQueryFrom(request));
    CT_ASSIGN_OR_RETURN(SweepInfo sweep, store_->GetSweep(name));
    CT_ASSIGN_OR_RETURN(const SweepTrials* trials,
                        CachedTrials(*store_, sweep, Signature(sweep), cache_->trials));
    CT_ASSIGN_OR_RETURN(json page, trials->table->Page(query));
    return HttpResponse::Json(200, page);
  }
  if (route == "trial") {
    CT_ASSIGN_OR_RETURN(int64_t id, QueryInt(request, "id", -1));
    if (id < 0) return InvalidArgument("missing query parameter \"id\"");
    CT_ASSIGN_OR_RETURN(TrialRecord trial, store_->GetTrial(id));
    json out = {{"id", trial.id},
                {"sweep", trial.sweep},
                {"state", TrialStateName(trial.state)},
                {"attempt", trial.attempt},
                {"error", trial.error},
                {"key", trial.key},
                {"wall_seconds", trial.wall_seconds},
                {"progress", trial.progress},
                {"progress_note", trial.progress_note},
                {"params_text", ParamsText(trial.item.value("params", json::object()))},
                {"item", trial.item}};
    if (trial.reused_from) out["reused_from"] = *trial.reused_from;
    CT_ASSIGN_OR_RETURN(out["search"], TrialSearchJson(*store_, trial));
    CT_ASSIGN_OR_RETURN(auto metrics, store_->GetMetrics(id));
    out["metrics"] = metrics;
    CT_ASSIGN_OR_RETURN(auto attempts, store_->ListAttempts(id));
    out["attempts"] = json::array();
    for (const auto& a : attempts) {
      out["attempts"].push_back({{"attempt", a.attempt},
                                 {"worker_group", a.worker_group},
                                 {"outcome", a.outcome},
                                 {"error", a.error},
                                 {"leased_ms", a.leased_ms},
                                 {"ended_ms", a.ended_ms}});
    }
    // Curves and arrays come from the HDF5 file; a trial reused from another sweep, one
    // without artifacts, or a file that is missing or being written falls back to the curves
    // in SQLite.
    out["arrays"] = json::array();
    out["curves_source"] = "sqlite";
    std::vector<CurvePoint> curves;
    {
      auto artifacts =
          ArtifactStore::Open(options_.artifact_file, trial.sweep, StoreMode::kReadOnly);
      if (artifacts.ok()) {
        auto read = (*artifacts)->ReadTrial(id);
        if (read.ok()) {
          curves = read->curves;
          out["curves_source"] = "hdf5";
          for (const auto& a : read->arrays) {
            out["arrays"].push_back({{"name", a.name}, {"shape", a.shape}});
          }
        }
      }
    }
    if (out["curves_source"] == "sqlite") {
      CT_ASSIGN_OR_RETURN(curves, store_->GetCurves(id));
    }
    out["curves"] = CurvesJson(curves);
    return HttpResponse::Json(200, out);
  }
  if (route == "compare") {
    CT_ASSIGN_OR_RETURN(std::string a_name, RequireQuery(request, "a"));
    CT_ASSIGN_OR_RETURN(std::string b_name, RequireQuery(request, "b"));
    CT_ASSIGN_OR_RETURN(ReportOptions options, ReportOptionsFrom(request));
    const SummaryEntry* sides[2];
    CT_ASSIGN_OR_RETURN(sides[0], CachedSummary(a_name, options));
    CT_ASSIGN_OR_RETURN(sides[1], CachedSummary(b_name, options));
    // Cells match on (task, dataset, method, shots, params): the same cell in both sweeps.
    std::map<std::string, json> rows;
    for (int i = 0; i < 2; ++i) {
      for (const auto& c : sides[i]->value["cells"]) {
        std::string key = CellKey(c.value("task", ""), c.value("dataset", ""),
                                  c.value("method", ""), c.value("shots", 0), c["params"]);
        json& row = rows[key];
        if (row.is_null()) {
          row = {{"task", c.value("task", "")},
                 {"dataset", c.value("dataset", "")},
                 {"method", c["method"]},
                 {"shots", c["shots"]},
                 {"params", c["params"]},
                 {"swept", c["swept"]},
                 {"swept_text", c["swept_text"]},
                 {"a", nullptr},
                 {"b", nullptr}};
        }
        row[i == 0 ? "a" : "b"] = {{"n", c["n"]}, {"mean", c["mean"]}, {"ci95", c["ci95"]}};
      }
    }
    json out = {{"a", a_name}, {"b", b_name}, {"metric", options.metric}, {"rows", json::array()}};
    for (auto& [key, row] : rows) out["rows"].push_back(std::move(row));
    return HttpResponse::Json(200, out);
  }
  return NotFound("no dashboard route " + request.path);
}

Result<const Dashboard::SummaryEntry*> Dashboard::CachedSummary(const std::string& name,
                                                                const ReportOptions& options) {
  CT_ASSIGN_OR_RETURN(SweepInfo sweep, store_->GetSweep(name));
  const std::string signature = Signature(sweep);
  const std::string cache_key = name + "\x1f" + options.metric + "\x1f" + options.baseline +
                                "\x1f" + std::to_string(options.ddof);
  auto cached = cache_->summaries.find(cache_key);
  if (cached != cache_->summaries.end() && cached->second.signature == signature) {
    return &cached->second;
  }
  CT_ASSIGN_OR_RETURN(const SweepTrials* trials,
                      CachedTrials(*store_, sweep, signature, cache_->trials));
  CT_ASSIGN_OR_RETURN(json summary, SummaryJson(trials->table->outcomes(), options));
  summary["sweep"] = name;
  summary["counts"] = TrialCountsJson(sweep.counts);
  // What the adaptive search did, as `chromatune report` shows it; its stopped trials are in
  // no cell (BuildReport counts done trials only).
  summary["search"] = nullptr;
  if (trials->search) {
    summary["search"] = SearchSummaryToJson(*trials->search);
    for (auto& t : summary["search"]["stopped"]) t["params_text"] = ParamsText(t["params"]);
  }
  auto& entry = cache_->summaries[cache_key];
  entry.signature = signature;
  entry.body = summary.dump();
  entry.value = std::move(summary);
  return &entry;
}

Result<coordinator::ExtraRoutes> MakeDashboardRoutes(const std::string& db_path,
                                                     const std::string& artifact_file) {
  CT_ASSIGN_OR_RETURN(std::unique_ptr<Dashboard> dashboard,
                      Dashboard::Open({db_path, artifact_file, /*can_cancel=*/true}));
  std::shared_ptr<Dashboard> shared = std::move(dashboard);
  return coordinator::ExtraRoutes{
      &Dashboard::Serves, [shared](coordinator::HttpRequest r, coordinator::Responder respond) {
        respond(shared->Handle(r));
      }};
}

}  // namespace chromatune::dashboards
