// Dashboard: the read-only web dashboard over a result store (issue 5). It serves the page
// (embedded assets, no CDN) and a JSON API under /api/v1/dashboard/, aggregating on the
// server so that the browser receives cells, not trials.
//
// Read-only: the SQLite store is opened with StoreMode::kReadOnly (a separate connection,
// never blocking the coordinator that writes) and HDF5 artifact files are opened read-only
// per request. Served by `chromatune dashboard` and by the coordinator.
//
// Routes (docs/dashboard.md):
//   GET /                                   the page (also /index.html, /app.js, /style.css)
//   GET /api/v1/dashboard/sweeps            sweeps with progress, ETA, worker groups
//   GET /api/v1/dashboard/summary?sweep=&metric=&baseline=&ddof=
//                                           report cells, paired comparisons, replicate points
//   GET /api/v1/dashboard/trials?sweep=&state=&method=&q=&sort=&desc=&offset=&limit=
//   GET /api/v1/dashboard/trial?id=         one trial: parameters, metrics, attempts, curves
//   GET /api/v1/dashboard/compare?a=&b=&metric=   two sweeps on the same cells
//
// Thread safety: Handle may be called from any number of threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "coordinator/api.h"
#include "coordinator/http_types.h"
#include "storage/report.h"
#include "storage/result_store.h"

namespace chromatune::dashboards {

struct DashboardOptions {
  std::string db_path;
  // The HDF5 artifact file; empty: ArtifactStore::DefaultPathFor(db_path) (the
  // coordinator's default).
  std::string artifact_file;
  // Served by a coordinator, whose API cancels sweeps: the page offers a cancel button
  // (GET .../sweeps says "can_cancel") where the viewer's role allows it.
  bool can_cancel = false;
};

class Dashboard {
 public:
  // Opens the store read-only. Errors are the store's (they name the path).
  static Result<std::unique_ptr<Dashboard>> Open(const DashboardOptions& options);

  // True for the paths the dashboard answers (the page, its assets, /api/v1/dashboard/).
  static bool Serves(const std::string& path);

  // Answers one GET request (other methods get 405). Never throws.
  coordinator::HttpResponse Handle(const coordinator::HttpRequest& request);

 private:
  explicit Dashboard(DashboardOptions options) : options_(std::move(options)) {}
  Result<coordinator::HttpResponse> Route(const coordinator::HttpRequest& request);
  struct SummaryEntry;
  // The summary of a sweep (its JSON and the response body), aggregated again only when
  // the sweep's counts changed. Called under mu_; the pointer is valid until mu_ is released.
  Result<const SummaryEntry*> CachedSummary(const std::string& name, const ReportOptions& options);

  DashboardOptions options_;
  std::mutex mu_;  // guards store_ (one read-only connection) and the summary cache
  std::unique_ptr<ResultStore> store_;
  struct SummaryCache;
  std::shared_ptr<SummaryCache> cache_;
};

// The dashboard as extra routes of a coordinator (coordinator::ServerConfig::extra_routes),
// so the coordinator and `chromatune run` serve it next to their API.
Result<coordinator::ExtraRoutes> MakeDashboardRoutes(const std::string& db_path,
                                                     const std::string& artifact_file);

}  // namespace chromatune::dashboards
