// Finding a sweep by name for the readers (`report`, `export`, the Python package's rows):
// an unknown name is an error that lists the sweeps the store has, so a typo is fixed at once.
#pragma once

#include <string>

#include "common/status.h"
#include "storage/result_store.h"

namespace chromatune {

// The sweep `name` of `store` (opened from `db_path`, which the error names); kNotFound with
// "unknown sweep 'x' (sweeps: a, b)" or "(the database has no sweeps)".
Result<SweepInfo> FindSweepNamingOthers(ResultStore* store, const std::string& db_path,
                                        const std::string& name);

}  // namespace chromatune
