// SweepRows: one sweep's trials and curve points read row by row from a result store, for
// `chromatune export` (cli/cmd_export.cc). Memory is bounded by one row (plus the names of
// the sweep's parameters and metrics), never by the sweep's size.
//
// The row contract is docs/schema.md "Reading the store", the same one the Python package
// (python/chromatune) implements: a trial row holds the trial's columns, the fields of its
// plan item a reader groups by (backbone, shot unit, precision, evaluation split, class set,
// backbone seed; absent ones empty), its device and epochs run (from the trial's info, when
// the method reports them), the worker group of its last attempt, every parameter and every
// final metric.
//
// Consistency: everything is read in ONE read transaction on a read-only connection of its
// own (WAL: the coordinator keeps writing, the export sees the state of its first read).
// Not thread-safe; one reader per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune {

class SqliteDb;

struct SweepTrialRow {
  int64_t trial_id = 0;
  std::string sweep;
  int64_t index = 0;
  std::string key;
  std::string state;
  std::string task;
  std::string dataset;
  std::string backbone;
  std::string method;
  int64_t shots = 0;
  std::string shot_unit;
  int64_t data_seed = 0;
  int64_t train_seed = 0;
  std::optional<int64_t> backbone_seed;
  std::string precision;              // "" when the item has none
  std::string device;                 // info.device or item.device; "" when neither says
  std::string eval_split;             // dataset_options.eval.split joined with ','; "" = default
  std::string classes;                // item.classes ("all", "base-to-new"); "" when absent
  std::optional<int64_t> epochs_run;  // info.epochs_run, when the method reports it
  int64_t ranks = 1;
  int64_t attempt = 0;
  int64_t failures = 0;
  std::optional<int64_t> reused_from;
  std::optional<int64_t> worker_group;  // the last attempt's group
  std::string worker_host;
  double wall_seconds = 0.0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string error;
  nlohmann::json params = nlohmann::json::object();  // the resolved parameters
  std::map<std::string, double> metrics;
};

struct SweepCurveRow {
  int64_t trial_id = 0;
  std::string method;
  int64_t shots = 0;
  int64_t data_seed = 0;
  int64_t train_seed = 0;
  std::string curve;
  int64_t step = 0;
  double value = 0.0;
};

class SweepRows {
 public:
  // Opens `db_path` read-only (the result store's checks first: kNotFound for a missing
  // file, kCorruption for a non-SQLite file, kFailedPrecondition for another schema) and
  // finds `sweep` (kNotFound "unknown sweep" listing the sweeps the file holds).
  static Result<std::unique_ptr<SweepRows>> Open(const std::string& db_path,
                                                 const std::string& sweep);
  ~SweepRows();
  SweepRows(const SweepRows&) = delete;
  SweepRows& operator=(const SweepRows&) = delete;

  // Names of the sweep's parameters (the union over its trials' params) and of its final
  // metrics, sorted: the columns of a flat (CSV) export.
  Result<std::vector<std::string>> ParamNames();
  Result<std::vector<std::string>> MetricNames();

  // Calls `row` for each trial of the sweep in id order (every state); stops at the first
  // error `row` returns and returns it.
  Status ForEachTrial(const std::function<Status(const SweepTrialRow&)>& row);
  // Every curve point of the sweep's trials, by trial id, curve name, step.
  Status ForEachCurvePoint(const std::function<Status(const SweepCurveRow&)>& row);

 private:
  SweepRows(std::unique_ptr<SqliteDb> db, int64_t sweep_id, std::string sweep);
  std::unique_ptr<SqliteDb> db_;
  int64_t sweep_id_;
  std::string sweep_;
};

}  // namespace chromatune
