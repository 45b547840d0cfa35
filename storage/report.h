// Report: aggregates finished trials into cells over replicates and compares each trained
// method with a baseline method, paired by data seed. Pure computation over TrialOutcome
// (storage/trial_outcome.h); reading the store is storage/report_store.h, rendering is
// storage/report_format.h. The statistics and every convention are in docs/statistics.md.
//
// Cells. A cell is (sweep, task, dataset, method, shots, params minus the replicate seeds)
// over the trials in state "done" that carry the metric: n, mean, std (ddof chosen), the 95%
// interval of the mean under the replicate model (storage/replicate_model.h: backbone and
// data seeds crossed, train seeds nested in their pairs), the numbers of backbone, data and
// train seeds, and the split of variance between them.
// A method's "swept" parameters are those that take more than one value among its cells
// of one shot count (list-valued or randomly searched parameters); fixed values and
// per-shot maps (e.g. CoOp's epochs by shot) are not. Tables show only swept parameters.
//
// Paired comparisons. For every cell of a trained method (shots >= 1, method != baseline)
// and every cell of the baseline method at the same sweep, task, dataset and shots: the
// metric is first averaged over train seeds within each (backbone seed, data seed) pair, in
// both cells; pairs are those both cells have; differences are method - baseline. The mean
// difference with its 95% interval and t-test under the replicate model (with one backbone
// seed: the paired t-test over data seeds), the Wilcoxon signed-rank p-value over the pairs
// (two-sided), each Holm-corrected across the shot counts of one family (sweep, task,
// dataset, method, its swept params, baseline swept params).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "storage/replicate_model.h"
#include "storage/search_summary.h"
#include "storage/stats.h"
#include "storage/trial_outcome.h"

namespace chromatune {

struct ReportOptions {
  std::string metric = "accuracy";
  // Divisor n - ddof of the reported std: 1 (sample, default) or 0 (population, CPT's
  // convention). Confidence intervals always use the sample std.
  int ddof = 1;
  std::string baseline = "finetune";
  // Paired differences within this distance count as tied (and as zero near 0) in the
  // Wilcoxon test: floating-point noise of differences of accuracies is ~1e-16, while
  // real differences of accuracies on any test set are >= 1e-7.
  double tie_tolerance = 1e-12;
};

struct ReportCell {
  std::string sweep;
  std::string task;
  std::string dataset;
  std::string method;
  int shots = 0;
  nlohmann::json params = nlohmann::json::object();  // resolved params minus seeds
  nlohmann::json swept = nlohmann::json::object();   // the swept subset of params
  int n = 0;
  double mean = 0.0;
  double std = 0.0;  // NaN when n <= ddof
  // The 95% interval of the mean under the replicate model, centred on the mean of the
  // (backbone seed, data seed) pair means (the cell mean when every pair has as many
  // trials), with ci95_df degrees of freedom. With one pair, the t interval of its trials.
  std::optional<stats::Interval> ci95;
  double ci95_df = 0.0;    // NaN without an interval
  int backbone_seeds = 1;  // distinct backbone seeds (1 without backbone_seeds)
  int data_seeds = 0;      // distinct data seeds
  int train_seeds = 0;     // distinct train seeds
  std::optional<stats::VarianceSplit> variance;
  std::string variance_note;  // why there is no split, when there is none
};

struct PairedComparison {
  std::string sweep;
  std::string task;
  std::string dataset;
  std::string method;
  nlohmann::json swept = nlohmann::json::object();
  int shots = 0;
  std::string baseline;
  nlohmann::json baseline_swept = nlohmann::json::object();
  bool baseline_found = false;          // false: no baseline cell at these shots (note says so)
  int n_pairs = 0;                      // shared (backbone seed, data seed) pairs
  double mean_diff = 0.0;               // NaN without pairs
  std::optional<stats::Interval> ci95;  // n_pairs >= 2
  double df = 0.0;                      // of t and ci95; NaN when not computed
  double t = 0.0;                       // NaN when not computed
  double p_t = 0.0;                     // NaN when not computed
  double p_t_holm = 0.0;
  double p_wilcoxon = 0.0;  // NaN when not computed
  double p_wilcoxon_holm = 0.0;
  bool wilcoxon_exact = false;
  std::string note;  // e.g. "no baseline cell", "1 shared pair: no test"
};

struct Report {
  std::string metric;
  int ddof = 1;
  std::string baseline;
  std::vector<ReportCell> cells;
  std::vector<PairedComparison> paired;
  // Report-wide remarks: skipped trials, a baseline absent from the report, ...
  std::vector<std::string> notes;
  // What an adaptive search did (filled by ReportFromStore for sweeps that search): stopped
  // trials are shown here, apart from the cells they never enter.
  std::optional<SearchSummary> search;
};

// Builds the report. Errors: kInvalidArgument for ddof < 0; kNotFound when finished trials
// exist but none carries options.metric (the message lists the metrics they carry).
// Outcomes not in state "done" are ignored.
Result<Report> BuildReport(const std::vector<TrialOutcome>& outcomes, const ReportOptions& options);

}  // namespace chromatune
