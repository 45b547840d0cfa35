#include "storage/report_store.h"

#include <memory>
#include <string>

#include "storage/result_store.h"
#include "storage/sweep_lookup.h"

namespace chromatune {

Result<Report> ReportFromStore(const std::string& db_path, const std::string& sweep,
                               const ReportOptions& options) {
  CT_ASSIGN_OR_RETURN(std::unique_ptr<ResultStore> store,
                      ResultStore::Open(db_path, StoreMode::kReadOnly));
  if (!sweep.empty()) {
    CT_RETURN_IF_ERROR(FindSweepNamingOthers(store.get(), db_path, sweep).status());
  }
  CT_ASSIGN_OR_RETURN(auto outcomes, store->ListOutcomes(sweep));
  auto report = BuildReport(outcomes, options);
  if (!report.ok()) return report.status().WithContext(db_path);
  // The adaptive search's summary (schema 6 on: older stores have no stopped trials).
  if (store->schema_version() >= 6) {
    std::vector<int64_t> ids;
    CT_ASSIGN_OR_RETURN(auto sweeps, store->ListSweeps());
    for (const auto& s : sweeps) {
      if (sweep.empty() || s.name == sweep) ids.push_back(s.id);
    }
    CT_ASSIGN_OR_RETURN(report->search, SummarizeSearch(*store, ids));
  }
  return report;
}

}  // namespace chromatune
