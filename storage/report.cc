#include "storage/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace chromatune {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr char kSep = '\x1f';  // joins key parts; never occurs in names or JSON dumps

// Replicate seeds are trial fields, not parameters; drop them from params if a planner
// ever copies them there, so they never split a cell.
nlohmann::json ParamsWithoutSeeds(const nlohmann::json& params) {
  if (!params.is_object() || (!params.contains("data_seed") && !params.contains("train_seed"))) {
    return params.is_object() ? params : nlohmann::json::object();
  }
  nlohmann::json copy = params;
  copy.erase("data_seed");
  copy.erase("train_seed");
  return copy;
}

// A cell while outcomes are added.
struct CellBuild {
  ReportCell cell;
  std::string params_dump;
  std::string swept_dump;  // filled by MarkSweptParams
  size_t group = 0;        // index of (sweep, task, dataset, method) in first-appearance order
  std::vector<double> values;
  std::vector<stats::Replicate> replicates;  // the values with their seeds
  std::set<int64_t> backbone_seeds;
  std::set<int64_t> data_seeds;
  std::set<int64_t> train_seeds;
  stats::PairTable pair_means;  // filled by FinishCell
};

std::string Join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    out += p;
    out += kSep;
  }
  return out;
}

// The params that take more than one value among the group's cells of one shot count.
void MarkSweptParams(std::vector<CellBuild>& builds) {
  std::map<std::pair<size_t, int>, std::vector<CellBuild*>> by_group_shots;
  for (auto& b : builds) by_group_shots[{b.group, b.cell.shots}].push_back(&b);
  std::map<size_t, std::set<std::string>> swept_keys;
  for (const auto& [group_shots, cells] : by_group_shots) {
    std::set<std::string> keys;
    for (const CellBuild* b : cells) {
      for (const auto& item : b->cell.params.items()) keys.insert(item.key());
    }
    for (const auto& key : keys) {
      const auto value_of = [&](const CellBuild* b) {
        return b->cell.params.contains(key) ? b->cell.params[key].dump() : std::string("\x1e");
      };
      const std::string first = value_of(cells.front());
      const bool varies = std::any_of(cells.begin(), cells.end(),
                                      [&](const CellBuild* b) { return value_of(b) != first; });
      if (varies) swept_keys[group_shots.first].insert(key);
    }
  }
  for (auto& b : builds) {
    for (const auto& key : swept_keys[b.group]) {
      if (b.cell.params.contains(key)) b.cell.swept[key] = b.cell.params[key];
    }
    b.swept_dump = b.cell.swept.dump();
  }
}

// The interval of the cell's mean: the replicate model over its pairs, or with one pair the
// t interval of that pair's train seeds.
void SetInterval(CellBuild& b, stats::TQuantileCache& quantiles) {
  ReportCell& c = b.cell;
  c.ci95_df = kNaN;
  if (b.pair_means.size() >= 2) {
    auto model = stats::AnalyzeTable(b.pair_means);
    if (!model.ok()) return;
    c.ci95 = stats::MeanInterval(*model, 0.95, &quantiles);
    c.ci95_df = model->df;
  } else if (c.n >= 2) {
    auto ci = stats::MeanConfidenceInterval(b.values, 0.95, &quantiles);
    if (!ci.ok()) return;
    c.ci95 = *ci;
    c.ci95_df = c.n - 1.0;
  }
}

void FinishCell(CellBuild& b, int ddof, stats::TQuantileCache& quantiles) {
  ReportCell& c = b.cell;
  c.n = static_cast<int>(b.values.size());
  c.mean = stats::Mean(b.values);
  c.std = stats::StdDev(b.values, ddof);
  c.backbone_seeds = static_cast<int>(b.backbone_seeds.size());
  c.data_seeds = static_cast<int>(b.data_seeds.size());
  c.train_seeds = static_cast<int>(b.train_seeds.size());
  b.pair_means = stats::PairMeans(b.replicates);
  SetInterval(b, quantiles);
  if (c.n < 2) {
    c.variance_note = "a single trial";
    return;
  }
  auto split = stats::SplitVariance(b.replicates);
  if (split.ok()) {
    c.variance = *split;
  } else {
    c.variance_note = split.status().message();
  }
}

PairedComparison Compare(const CellBuild& method, const CellBuild& base,
                         const ReportOptions& options, stats::TQuantileCache& quantiles) {
  PairedComparison p;
  p.baseline_found = true;
  p.baseline_swept = base.cell.swept;
  std::vector<double> x;
  std::vector<double> y;
  stats::PairTable differences;
  for (const auto& [pair, mean] : method.pair_means) {
    auto it = base.pair_means.find(pair);
    if (it == base.pair_means.end()) continue;
    x.push_back(mean);
    y.push_back(it->second);
    differences[pair] = mean - it->second;
  }
  p.n_pairs = static_cast<int>(x.size());
  p.mean_diff = p.df = p.t = p.p_t = p.p_wilcoxon = kNaN;
  if (p.n_pairs == 0) {
    p.note = "no shared (backbone seed, data seed) pairs";
    return p;
  }
  if (p.n_pairs < 2) {
    p.mean_diff = differences.begin()->second;
    p.note = "1 shared pair: no test";
    return p;
  }
  auto model = stats::AnalyzeTable(differences);
  if (model.ok()) {
    p.mean_diff = model->mean;
    p.df = model->df;
    p.ci95 = stats::MeanInterval(*model, 0.95, &quantiles);
    const stats::TableTTest t = stats::TTest(*model);
    p.t = t.t;
    p.p_t = t.p_value;
    if (model->pairs_left_out > 0) {
      p.note = std::to_string(model->pairs_left_out) +
               " pairs of data seeds not under every backbone seed left out of the t-test";
    }
  } else {
    p.note = model.status().message();
  }
  stats::WilcoxonOptions wilcoxon_options;
  wilcoxon_options.tolerance = options.tie_tolerance;
  auto w = stats::WilcoxonSignedRank(x, y, wilcoxon_options);
  if (w.ok()) {
    p.p_wilcoxon = w->p_value;
    p.wilcoxon_exact = w->exact;
  } else if (p.note.empty()) {
    p.note = "all differences are zero";
  }
  return p;
}

void ApplyHolm(std::vector<PairedComparison>& rows) {
  std::map<std::string, std::vector<size_t>> families;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    families[Join({r.sweep, r.task, r.dataset, r.method, r.swept.dump(), r.baseline_swept.dump()})]
        .push_back(i);
  }
  for (const auto& [key, members] : families) {
    std::vector<double> pt;
    std::vector<double> pw;
    for (size_t i : members) {
      pt.push_back(rows[i].p_t);
      pw.push_back(rows[i].p_wilcoxon);
    }
    const auto at = stats::HolmAdjust(pt);
    const auto aw = stats::HolmAdjust(pw);
    for (size_t k = 0; k < members.size(); ++k) {
      rows[members[k]].p_t_holm = at[k];
      rows[members[k]].p_wilcoxon_holm = aw[k];
    }
  }
}

}  // namespace

Result<Report> BuildReport(const std::vector<TrialOutcome>& outcomes,
                           const ReportOptions& options) {
  if (options.ddof < 0) {
    return InvalidArgument("ddof must be >= 0, got " + std::to_string(options.ddof));
  }
  Report report;
  report.metric = options.metric;
  report.ddof = options.ddof;
  report.baseline = options.baseline;

  std::vector<CellBuild> builds;
  std::unordered_map<std::string, size_t> cell_index;
  std::unordered_map<std::string, size_t> group_index;
  int64_t done = 0;
  int64_t without_metric = 0;
  std::set<std::string> other_metrics;
  const TrialOutcome* previous = nullptr;  // the last outcome whose cell was looked up
  size_t current = 0;                      // its cell
  for (const TrialOutcome& o : outcomes) {
    if (o.state != "done") continue;
    ++done;
    auto metric = o.metrics.find(options.metric);
    if (metric == o.metrics.end()) {
      ++without_metric;
      for (const auto& [name, value] : o.metrics) other_metrics.insert(name);
      continue;
    }
    // Outcomes arrive in plan order, so a run of them shares one cell: comparing with the
    // previous outcome skips the key (a JSON dump and a hash) for all but the first.
    if (previous == nullptr || o.shots != previous->shots || o.method != previous->method ||
        o.sweep != previous->sweep || o.task != previous->task || o.dataset != previous->dataset ||
        o.params != previous->params) {
      nlohmann::json params = ParamsWithoutSeeds(o.params);
      std::string params_dump = params.dump();
      const std::string group_key = Join({o.sweep, o.task, o.dataset, o.method});
      std::string key = group_key + std::to_string(o.shots) + kSep + params_dump;
      auto [it, inserted] = cell_index.try_emplace(std::move(key), builds.size());
      if (inserted) {
        CellBuild b;
        b.cell.sweep = o.sweep;
        b.cell.task = o.task;
        b.cell.dataset = o.dataset;
        b.cell.method = o.method;
        b.cell.shots = o.shots;
        b.cell.params = std::move(params);
        b.params_dump = std::move(params_dump);
        b.group = group_index.try_emplace(group_key, group_index.size()).first->second;
        builds.push_back(std::move(b));
      }
      current = it->second;
      previous = &o;
    }
    CellBuild& b = builds[current];
    b.values.push_back(metric->second);
    // Without backbone seeds, every trial of the cell ran on the one backbone.
    const int64_t backbone_seed = o.backbone_seed.value_or(0);
    b.replicates.push_back({backbone_seed, o.data_seed, metric->second});
    b.backbone_seeds.insert(backbone_seed);
    b.data_seeds.insert(o.data_seed);
    b.train_seeds.insert(o.train_seed);
  }
  if (done > 0 && without_metric == done) {
    std::string available;
    for (const auto& name : other_metrics) available += (available.empty() ? "" : ", ") + name;
    return NotFound("unknown metric '" + options.metric + "': no finished trial has it" +
                    (available.empty() ? std::string(" (they have no metrics)")
                                       : " (finished trials have: " + available + ")"));
  }
  if (done == 0) report.notes.push_back("no finished trials");
  if (without_metric > 0) {
    report.notes.push_back(std::to_string(without_metric) + " finished trials without metric '" +
                           options.metric + "' left out");
  }

  MarkSweptParams(builds);
  stats::TQuantileCache quantiles;
  bool one_backbone = false;  // some cell with an interval rests on one pretraining run
  for (auto& b : builds) {
    FinishCell(b, options.ddof, quantiles);
    one_backbone |= b.cell.ci95.has_value() && b.cell.backbone_seeds == 1;
  }
  std::vector<size_t> order(builds.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = builds[a];
    const auto& y = builds[b];
    // JSON order compares numbers as numbers (ctx_len 4 before 16).
    return std::tie(x.group, x.cell.swept, x.cell.shots, x.params_dump) <
           std::tie(y.group, y.cell.swept, y.cell.shots, y.params_dump);
  });

  // Baseline cells by (sweep, task, dataset, shots), in report order.
  std::unordered_map<std::string, std::vector<size_t>> baselines;
  for (size_t i : order) {
    const auto& c = builds[i].cell;
    if (c.method == options.baseline) {
      baselines[Join({c.sweep, c.task, c.dataset, std::to_string(c.shots)})].push_back(i);
    }
  }
  bool any_trained = false;
  for (size_t i : order) {
    const auto& c = builds[i].cell;
    if (c.shots < 1 || c.method == options.baseline) continue;
    any_trained = true;
    if (baselines.empty()) continue;
    PairedComparison skeleton;
    skeleton.sweep = c.sweep;
    skeleton.task = c.task;
    skeleton.dataset = c.dataset;
    skeleton.method = c.method;
    skeleton.swept = c.swept;
    skeleton.shots = c.shots;
    skeleton.baseline = options.baseline;
    auto it = baselines.find(Join({c.sweep, c.task, c.dataset, std::to_string(c.shots)}));
    if (it == baselines.end()) {
      PairedComparison p = skeleton;
      p.n_pairs = 0;
      p.mean_diff = p.df = p.t = p.p_t = p.p_wilcoxon = kNaN;
      p.note = "no " + options.baseline + " cell at shots " + std::to_string(c.shots);
      report.paired.push_back(std::move(p));
      continue;
    }
    for (size_t base : it->second) {
      PairedComparison p = Compare(builds[i], builds[base], options, quantiles);
      p.sweep = skeleton.sweep;
      p.task = skeleton.task;
      p.dataset = skeleton.dataset;
      p.method = skeleton.method;
      p.swept = skeleton.swept;
      p.shots = skeleton.shots;
      p.baseline = skeleton.baseline;
      report.paired.push_back(std::move(p));
    }
  }
  if (any_trained && baselines.empty()) {
    report.notes.push_back("baseline method '" + options.baseline +
                           "' has no finished trials with this metric: no paired comparisons "
                           "(choose another with --baseline)");
  }
  ApplyHolm(report.paired);
  if (one_backbone) {
    report.notes.push_back(
        "intervals of cells with one backbone seed are conditional on that backbone (for a "
        "builtin backbone, on one pretraining run: replicates.backbone_seeds adds that "
        "variance)");
  }

  report.cells.reserve(order.size());
  for (size_t i : order) report.cells.push_back(std::move(builds[i].cell));
  return report;
}

}  // namespace chromatune
