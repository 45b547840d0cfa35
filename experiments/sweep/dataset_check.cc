#include "experiments/sweep/dataset_check.h"

#include <algorithm>

#include "datasets/sampler.h"
#include "datasets/sources/fewshot.h"
#include "datasets/sources/summary.h"
#include "experiments/sweep/diagnostics.h"
#include "experiments/sweep/did_you_mean.h"

namespace chromatune {

namespace {

// The summary, or the reader's error at the `dataset` field.
Result<std::shared_ptr<const datasets::DatasetSummary>> Summary(const SweepSpec& spec) {
  auto summary = datasets::SummarizeDataset(spec.dataset, spec.dataset_options);
  if (summary.ok()) return summary;
  Diagnostics diag(spec.origin);
  diag.Add(spec.dataset_mark, "dataset", summary.status().message());
  return Status(summary.status().code(), diag.Lines().front());
}

}  // namespace

Result<datasets::DatasetOptions> CheckDataset(const SweepSpec& spec) {
  datasets::DatasetOptions options = spec.dataset_options;
  if (!datasets::IsUserDataset(spec.dataset)) return options;
  CT_ASSIGN_OR_RETURN(auto summary, Summary(spec));
  const datasets::DatasetSummary& s = *summary;
  const std::string& name = spec.dataset;
  std::string known;
  for (const std::string& split : s.splits) known += (known.empty() ? "" : ", ") + split;
  Diagnostics diag(spec.origin);
  datasets::EvalOptions& eval = options.eval;
  if (eval.splits.empty()) {
    eval.splits = s.default_eval_splits;
    if (eval.splits.empty()) {
      diag.Add(spec.dataset_mark, "dataset",
               "nothing to evaluate on: " + name + " has no split but train (has: " + known +
                   "); add a test split");
    }
  }
  for (const std::string& split : eval.splits) {
    if (split == "train") {
      diag.Add(spec.dataset_mark, "dataset.eval.split",
               "\"train\" is the support pool and cannot be evaluated on; evaluate on " +
                   std::string(s.grounding ? "the other splits" : "val or test"));
    } else if (std::find(s.splits.begin(), s.splits.end(), split) == s.splits.end()) {
      diag.Add(spec.dataset_mark, "dataset.eval.split",
               "no split \"" + split + "\" in " + name + DidYouMean(split, s.splits) +
                   " (has: " + known + ")");
    }
  }
  if (eval.size == datasets::kEvalSizeDefault) eval.size = datasets::kEvalSizeAll;
  CT_RETURN_IF_ERROR(diag.ToStatus());
  return options;
}

Status CheckDatasetShots(const SweepSpec& spec, const std::vector<int64_t>& shots) {
  if (!datasets::IsUserDataset(spec.dataset)) return Status::Ok();
  CT_ASSIGN_OR_RETURN(auto summary, Summary(spec));
  const datasets::DatasetSummary& s = *summary;
  CT_ASSIGN_OR_RETURN(datasets::ShotUnit unit, datasets::ParseShotUnit(spec.shot_unit));
  auto counts = s.class_counts.find("train");
  const std::vector<int64_t> no_train(s.classes.size(), 0);
  std::vector<int64_t> distinct = shots;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  Diagnostics diag(spec.origin);
  for (int64_t k : distinct) {
    Status ok =
        datasets::CheckShots(s.classes, counts == s.class_counts.end() ? no_train : counts->second,
                             k, unit, s.grounding ? "expressions" : "images");
    if (!ok.ok()) diag.Add(spec.shots_mark, "shots", ok.message() + " (" + spec.dataset + ")");
  }
  return diag.ToStatus();
}

}  // namespace chromatune
