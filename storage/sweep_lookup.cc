#include "storage/sweep_lookup.h"

namespace chromatune {

Result<SweepInfo> FindSweepNamingOthers(ResultStore* store, const std::string& db_path,
                                        const std::string& name) {
  auto info = store->GetSweep(name);
  if (info.status().code() != StatusCode::kNotFound) return info;
  CT_ASSIGN_OR_RETURN(auto sweeps, store->ListSweeps());
  std::string names;
  for (const auto& s : sweeps) names += (names.empty() ? "" : ", ") + s.name;
  return NotFound(db_path + ": unknown sweep '" + name + "'" +
                  (names.empty() ? " (the database has no sweeps)" : " (sweeps: " + names + ")"));
}

}  // namespace chromatune
