// The plain-SQLite floor under ResultStore's figures: the same rows written with the same
// schema, connection settings and statements, but with every text prepared before the clock
// starts and no parsing, validation, state checks or fencing. What the store costs above
// this is its own overhead; this much no store of these rows in SQLite can avoid.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace chromatune::bench {

// One trial as CreateSweep stores it.
struct FloorRow {
  std::string key, method, params_json;
  std::string template_json;  // non-empty: a new item template, stored before this row
  int64_t template_fields = 0;
  int64_t index = 0, shots = 0, data_seed = 0, train_seed = 0;
};

struct FloorTimes {
  std::pair<double, double> create;    // {wall s, cpu s}: every row in one transaction
  std::pair<double, double> complete;  // lease + complete rows, `batch` trials per commit
};

// Creates a fresh store at `path` (which must not exist) and times the writes above.
Result<FloorTimes> MeasureSqliteFloor(const std::string& path, const std::vector<FloorRow>& rows,
                                      int batch);

}  // namespace chromatune::bench
