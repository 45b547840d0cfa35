// `chromatune export --db FILE --sweep NAME [--format csv|jsonl] [--what trials|curves|cells|
//  paired] [--metric M] [--ddof 1] [--baseline finetune] [--output FILE]`: one sweep's
// trials, curve points, report cells or paired comparisons as CSV or JSON Lines, for people
// not using Python (docs/analysis.md). Trials and curves are streamed row by row from a
// read-only connection (memory bounded by one row: storage/sweep_rows.h); cells and paired
// rows are the report's (storage/report.h), the numbers of `report --format json`.
//
// CSV: one header row; parameters flattened to param.<name> columns and metrics to
// metric.<name> (trials), text cells neutralised against spreadsheet formulas
// (storage/csv_text.h), numbers with 17 significant digits, absent values empty.
// JSON Lines: one object per row; trials keep params and metrics as objects with their full
// values; cells and paired rows are exactly the elements of the report's JSON.
// --output writes FILE.tmp and renames it into place when complete (no half-written file).
// Exit 2 with one line on stderr for a bad database, sweep, metric or option; 1 for I/O.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "storage/csv_text.h"
#include "storage/param_text.h"
#include "storage/report.h"
#include "storage/report_format.h"
#include "storage/report_store.h"
#include "storage/sweep_rows.h"

namespace chromatune::cli {
namespace {

using json = nlohmann::json;

struct ExportArgs {
  std::string db;
  std::string sweep;
  std::string format = "csv";
  std::string what = "trials";
  std::string output;
  ReportOptions options;
};

// Writes lines to stdout or to a temporary file renamed into place by Finish.
class Sink {
 public:
  static Result<std::unique_ptr<Sink>> Open(const std::string& path) {
    if (path.empty()) return std::unique_ptr<Sink>(new Sink(stdout, ""));
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return IoError(path + ": cannot write " + tmp);
    return std::unique_ptr<Sink>(new Sink(f, path));
  }
  ~Sink() {
    if (!path_.empty() && file_ != nullptr) {
      std::fclose(file_);
      std::remove((path_ + ".tmp").c_str());
    }
  }
  Status Line(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() ||
        std::fputc('\n', file_) == EOF) {
      return IoError((path_.empty() ? std::string("stdout") : path_) + ": write failed");
    }
    return Status::Ok();
  }
  Status Finish() {
    if (path_.empty()) {
      return std::fflush(stdout) == 0 ? Status::Ok() : IoError("stdout: write failed");
    }
    std::FILE* f = file_;
    file_ = nullptr;
    const std::string tmp = path_ + ".tmp";
    if (std::fflush(f) != 0 || std::fclose(f) != 0) {
      std::remove(tmp.c_str());
      return IoError(path_ + ": write failed");
    }
    if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
      std::remove(tmp.c_str());
      return IoError(path_ + ": cannot rename " + tmp + " into place");
    }
    return Status::Ok();
  }

 private:
  Sink(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
};

std::string CsvRow(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
  return out;
}

std::string Int(int64_t v) { return std::to_string(v); }
std::string OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : ""; }
json OptIntJson(const std::optional<int64_t>& v) { return v ? json(*v) : json(); }
json OptText(const std::string& v) { return v.empty() ? json() : json(v); }
json Num(double v) { return std::isfinite(v) ? json(v) : json(); }

// A parameter as a CSV cell: numbers and booleans as they are, everything else as text.
std::string ParamCell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return CsvNumber(v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return CsvText(ParamValueText(v));
}

const std::vector<std::string> kTrialColumns = {
    "trial_id",    "sweep",         "index",      "key",        "state",       "task",
    "dataset",     "backbone",      "method",     "shots",      "shot_unit",   "data_seed",
    "train_seed",  "backbone_seed", "precision",  "device",     "eval_split",  "classes",
    "epochs_run",  "ranks",         "attempt",    "failures",   "reused_from", "worker_group",
    "worker_host", "wall_seconds",  "created_ms", "updated_ms", "error"};

Status ExportTrials(SweepRows& rows, bool csv, Sink& out) {
  std::vector<std::string> params, metrics;
  if (csv) {
    CT_ASSIGN_OR_RETURN(params, rows.ParamNames());
    CT_ASSIGN_OR_RETURN(metrics, rows.MetricNames());
    std::vector<std::string> header = kTrialColumns;
    for (const auto& p : params) header.push_back(CsvText("param." + p));
    for (const auto& m : metrics) header.push_back(CsvText("metric." + m));
    CT_RETURN_IF_ERROR(out.Line(CsvRow(header)));
  }
  return rows.ForEachTrial([&](const SweepTrialRow& r) -> Status {
    if (!csv) {
      json metric_values = json::object();
      for (const auto& [name, value] : r.metrics) metric_values[name] = Num(value);
      const json row = {{"trial_id", r.trial_id},
                        {"sweep", r.sweep},
                        {"index", r.index},
                        {"key", r.key},
                        {"state", r.state},
                        {"task", r.task},
                        {"dataset", r.dataset},
                        {"backbone", OptText(r.backbone)},
                        {"method", r.method},
                        {"shots", r.shots},
                        {"shot_unit", OptText(r.shot_unit)},
                        {"data_seed", r.data_seed},
                        {"train_seed", r.train_seed},
                        {"backbone_seed", OptIntJson(r.backbone_seed)},
                        {"precision", OptText(r.precision)},
                        {"device", OptText(r.device)},
                        {"eval_split", OptText(r.eval_split)},
                        {"classes", OptText(r.classes)},
                        {"epochs_run", OptIntJson(r.epochs_run)},
                        {"ranks", r.ranks},
                        {"attempt", r.attempt},
                        {"failures", r.failures},
                        {"reused_from", OptIntJson(r.reused_from)},
                        {"worker_group", OptIntJson(r.worker_group)},
                        {"worker_host", OptText(r.worker_host)},
                        {"wall_seconds", Num(r.wall_seconds)},
                        {"created_ms", r.created_ms},
                        {"updated_ms", r.updated_ms},
                        {"error", r.error},
                        {"params", r.params},
                        {"metrics", metric_values}};
      return out.Line(row.dump());
    }
    std::vector<std::string> cells = {Int(r.trial_id),        CsvText(r.sweep),
                                      Int(r.index),           CsvText(r.key),
                                      CsvText(r.state),       CsvText(r.task),
                                      CsvText(r.dataset),     CsvText(r.backbone),
                                      CsvText(r.method),      Int(r.shots),
                                      CsvText(r.shot_unit),   Int(r.data_seed),
                                      Int(r.train_seed),      OptInt(r.backbone_seed),
                                      CsvText(r.precision),   CsvText(r.device),
                                      CsvText(r.eval_split),  CsvText(r.classes),
                                      OptInt(r.epochs_run),   Int(r.ranks),
                                      Int(r.attempt),         Int(r.failures),
                                      OptInt(r.reused_from),  OptInt(r.worker_group),
                                      CsvText(r.worker_host), CsvNumber(r.wall_seconds),
                                      Int(r.created_ms),      Int(r.updated_ms),
                                      CsvText(r.error)};
    for (const auto& p : params) {
      auto it = r.params.find(p);
      cells.push_back(it == r.params.end() ? "" : ParamCell(*it));
    }
    for (const auto& m : metrics) {
      auto it = r.metrics.find(m);
      cells.push_back(it == r.metrics.end() ? "" : CsvNumber(it->second));
    }
    return out.Line(CsvRow(cells));
  });
}

Status ExportCurves(SweepRows& rows, bool csv, Sink& out) {
  if (csv) {
    CT_RETURN_IF_ERROR(out.Line("trial_id,method,shots,data_seed,train_seed,curve,step,value"));
  }
  return rows.ForEachCurvePoint([&](const SweepCurveRow& r) -> Status {
    if (!csv) {
      return out.Line(json{
          {"trial_id", r.trial_id},
          {"method", r.method},
          {"shots", r.shots},
          {"data_seed", r.data_seed},
          {"train_seed", r.train_seed},
          {"curve", r.curve},
          {"step", r.step},
          {"value",
           Num(r.value)}}.dump());
    }
    return out.Line(CsvRow({Int(r.trial_id), CsvText(r.method), Int(r.shots), Int(r.data_seed),
                            Int(r.train_seed), CsvText(r.curve), Int(r.step), CsvNumber(r.value)}));
  });
}

// A JSON number of the report (null when undefined) as a CSV cell.
std::string JsonNumberCell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return CsvNumber(v.get<double>());
}

// Cells or paired rows: the elements of the report's JSON, flattened for CSV with the swept
// parameters (the report's "swept" of a cell, "params" of a paired row) as param.<name>.
Status ExportReportRows(const json& rows, bool paired, bool csv, Sink& out) {
  if (!csv) {
    for (const auto& row : rows) CT_RETURN_IF_ERROR(out.Line(row.dump()));
    return Status::Ok();
  }
  const char* swept_key = paired ? "params" : "swept";
  std::set<std::string> names;
  for (const auto& row : rows) {
    for (const auto& item : row[swept_key].items()) names.insert(item.key());
  }
  const std::vector<std::string> head = {"sweep", "task", "dataset", "method", "shots"};
  const std::vector<std::string> tail =
      paired ? std::vector<std::string>{"baseline",
                                        "baseline_params",
                                        "baseline_found",
                                        "n_pairs",
                                        "mean_diff",
                                        "ci95_lo",
                                        "ci95_hi",
                                        "df",
                                        "t",
                                        "p_t",
                                        "p_t_holm",
                                        "p_wilcoxon",
                                        "p_wilcoxon_holm",
                                        "wilcoxon_exact",
                                        "note"}
             : std::vector<std::string>{"params",       "n",
                                        "mean",         "std",
                                        "ci95_lo",      "ci95_hi",
                                        "ci95_df",      "backbone_seeds",
                                        "data_seeds",   "train_seeds",
                                        "var_backbone", "var_data",
                                        "var_train",    "share_backbone",
                                        "share_data",   "share_train",
                                        "variance_note"};
  std::vector<std::string> header = head;
  for (const auto& n : names) header.push_back(CsvText("param." + n));
  header.insert(header.end(), tail.begin(), tail.end());
  CT_RETURN_IF_ERROR(out.Line(CsvRow(header)));
  for (const auto& row : rows) {
    std::vector<std::string> cells = {
        CsvText(row["sweep"].get<std::string>()), CsvText(row["task"].get<std::string>()),
        CsvText(row["dataset"].get<std::string>()), CsvText(row["method"].get<std::string>()),
        row["shots"].dump()};
    for (const auto& n : names) {
      auto it = row[swept_key].find(n);
      cells.push_back(it == row[swept_key].end() ? "" : ParamCell(*it));
    }
    for (const auto& column : tail) {
      const json* v = nullptr;
      json derived;
      if (column == "ci95_lo" || column == "ci95_hi") {
        const json& ci = row["ci95"];
        if (ci.is_array()) derived = ci[column == "ci95_lo" ? 0 : 1];
        v = &derived;
      } else if (!paired && column != "params" && column != "variance_note" &&
                 row["variance"].is_object() && row["variance"].contains(column)) {
        v = &row["variance"][column];
      } else if (row.contains(column)) {
        v = &row[column];
      } else {
        v = &derived;  // null
      }
      if (v->is_string()) {
        cells.push_back(CsvText(v->get<std::string>()));
      } else if (v->is_object() || v->is_array()) {
        cells.push_back(CsvText(v->dump()));
      } else {
        cells.push_back(JsonNumberCell(*v));
      }
    }
    CT_RETURN_IF_ERROR(out.Line(CsvRow(cells)));
  }
  return Status::Ok();
}

Status Export(const ExportArgs& args) {
  const bool csv = args.format == "csv";
  if (args.what == "trials" || args.what == "curves") {
    CT_ASSIGN_OR_RETURN(auto rows, SweepRows::Open(args.db, args.sweep));
    CT_ASSIGN_OR_RETURN(auto out, Sink::Open(args.output));
    CT_RETURN_IF_ERROR(args.what == "trials" ? ExportTrials(*rows, csv, *out)
                                             : ExportCurves(*rows, csv, *out));
    return out->Finish();
  }
  CT_ASSIGN_OR_RETURN(Report report, ReportFromStore(args.db, args.sweep, args.options));
  const json j = ReportToJson(report);
  const bool paired = args.what == "paired";
  CT_ASSIGN_OR_RETURN(auto out, Sink::Open(args.output));
  CT_RETURN_IF_ERROR(ExportReportRows(j[paired ? "paired" : "cells"], paired, csv, *out));
  return out->Finish();
}

int RunExport(const ExportArgs& args) {
  Status s = Export(args);
  if (!s.ok()) {
    std::cerr << "chromatune export: " << s.message() << "\n";
    return ExitCodeFor(s);
  }
  return kExitOk;
}

const CommandRegistrar kRegisterExport("export", [](CLI::App& root) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* app = root.add_subcommand(
      "export", "One sweep's trials, curves, report cells or paired rows as CSV or JSON Lines");
  app->add_option("--db", args->db, "Result store (SQLite file)")->required();
  app->add_option("--sweep", args->sweep, "The sweep to export")->required();
  app->add_option("--format", args->format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  app->add_option("--what", args->what, "trials, curves, cells or paired")
      ->check(CLI::IsMember({"trials", "curves", "cells", "paired"}))
      ->capture_default_str();
  app->add_option("--output", args->output, "Write to FILE (default: standard output)");
  app->add_option("--metric", args->options.metric, "cells/paired: metric to aggregate")
      ->capture_default_str();
  app->add_option("--ddof", args->options.ddof, "cells: std divisor n - ddof")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app->add_option("--baseline", args->options.baseline, "paired: the baseline method")
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunExport(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
