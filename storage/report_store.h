// The report over a result store: opens the SQLite store read-only (a separate connection,
// never blocking the coordinator that writes), reads the outcomes of one sweep or of all
// sweeps, and builds the report (storage/report.h). Used by `chromatune report`.
#pragma once

#include <string>

#include "common/status.h"
#include "storage/report.h"

namespace chromatune {

// Errors, each naming what is wrong: the store's Open errors (kNotFound for a missing file,
// kCorruption for a file that is not a chromatune database, ...; they name the path);
// kNotFound "unknown sweep" listing the sweeps the file holds; BuildReport's errors (an
// unknown metric). Nothing is ever written to the file.
Result<Report> ReportFromStore(const std::string& db_path, const std::string& sweep,
                               const ReportOptions& options);

}  // namespace chromatune
