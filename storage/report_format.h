// Rendering of a Report (storage/report.h) as a terminal table, Markdown, CSV or JSON.
//
// JSON: {"metric", "ddof", "baseline",
//        "cells": [{"sweep", "task", "dataset", "method", "shots", "params", "swept", "n",
//                   "mean", "std", "ci95": [lo, hi] | null, "data_seeds", "train_seeds",
//                   "variance": {"var_data", "var_train", "share_data", "ms_between",
//                                "ms_within", "n0"} | null, "variance_note"}],
//        "paired": [{"sweep", "task", "dataset", "method", "params", "shots", "baseline",
//                    "baseline_params", "baseline_found", "n_pairs", "mean_diff",
//                    "ci95": [lo, hi] | null, "t", "p_t", "p_t_holm", "p_wilcoxon",
//                    "p_wilcoxon_holm", "wilcoxon_exact", "note"}],
//        "notes": [...]}
// where "params" of a cell are all its resolved parameters and "swept" (and the "params" of
// a paired row) only the swept ones. Numbers that are not defined (NaN: std of one trial,
// a test that could not run) are null.
//
// CSV: two blocks separated by one empty line, each with its header row: the cells, then
// the paired comparisons; parameters as one JSON column. Full precision (17 digits).
// Table and Markdown: rounded for reading (4 decimals, p-values 3 significant digits),
// cells grouped under a heading per (sweep, task, dataset), swept parameters as k=v.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "storage/report.h"

namespace chromatune {

enum class ReportFormat { kTable, kMarkdown, kCsv, kJson };

// "table", "md", "csv" or "json"; kInvalidArgument naming the text otherwise.
Result<ReportFormat> ParseReportFormat(const std::string& text);

nlohmann::json ReportToJson(const Report& report);

// The whole rendering, ending with a newline.
std::string RenderReport(const Report& report, ReportFormat format);

}  // namespace chromatune
