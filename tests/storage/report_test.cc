// storage/report: cells, swept parameters, variance split, paired comparisons, Holm.
// The paired statistics are checked end to end against scipy's values for the same data
// (tests/data/stats_reference.json, made by tests/data/make_stats_reference.py).
#include "storage/report.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/replicate_model.h"
#include "storage/stats.h"

namespace chromatune {
namespace {

using nlohmann::json;

TrialOutcome Outcome(const std::string& method, int shots, json params, int64_t data_seed,
                     int64_t train_seed, double accuracy, const std::string& sweep = "s") {
  TrialOutcome o;
  o.sweep = sweep;
  o.task = "classification";
  o.dataset = "fashion-mnist";
  o.method = method;
  o.shots = shots;
  o.params = std::move(params);
  o.data_seed = data_seed;
  o.train_seed = train_seed;
  o.state = "done";
  o.metrics = {{"accuracy", accuracy}, {"loss", 1.0 - accuracy}};
  return o;
}

const json& Reference() {
  static const json reference = [] {
    // ctest runs tests from the source root (ct_test); __FILE__ is relative under ccache.
    std::ifstream in("tests/data/stats_reference.json");
    EXPECT_TRUE(in.good()) << "cannot open tests/data/stats_reference.json from the source root";
    return json::parse(in);
  }();
  return reference;
}

const json& ReferenceRow(const std::string& section, const std::string& name,
                         bool correction = true) {
  for (const auto& row : Reference()[section]) {
    if (row["name"] == name && (!row.contains("correction") || row["correction"] == correction)) {
      return row;
    }
  }
  ADD_FAILURE() << "no reference row " << section << "/" << name;
  static const json empty;
  return empty;
}

void ExpectRel(double expected, double actual, const std::string& what) {
  EXPECT_NEAR(expected, actual, 1e-9 * std::fabs(expected) + 1e-15) << what;
}

TEST(Report, CellsOverReplicates) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("zero-shot", 0, {{"template", "a photo of a {}."}}, 0, 0, 0.61),
      Outcome("finetune", 1, {{"lr", 0.001}}, 1, 1, 0.70),
      Outcome("finetune", 1, {{"lr", 0.001}}, 2, 1, 0.74),
      Outcome("finetune", 1, {{"lr", 0.001}}, 3, 1, 0.69),
  };
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(2u, r->cells.size());
  const ReportCell& zs = r->cells[0];  // first appearance order
  EXPECT_EQ("zero-shot", zs.method);
  EXPECT_EQ(1, zs.n);
  EXPECT_DOUBLE_EQ(0.61, zs.mean);
  EXPECT_TRUE(std::isnan(zs.std));
  EXPECT_FALSE(zs.ci95.has_value());
  EXPECT_FALSE(zs.variance.has_value());

  const ReportCell& ft = r->cells[1];
  EXPECT_EQ(3, ft.n);
  EXPECT_EQ(3, ft.data_seeds);
  EXPECT_EQ(1, ft.train_seeds);
  const std::vector<double> xs = {0.70, 0.74, 0.69};
  EXPECT_DOUBLE_EQ(stats::Mean(xs), ft.mean);
  EXPECT_DOUBLE_EQ(stats::StdDev(xs, 1), ft.std);
  ASSERT_TRUE(ft.ci95.has_value());
  // scipy: stats.t.interval(0.95, 2, loc=mean, scale=sem) for the same values.
  auto ci = stats::MeanConfidenceInterval(xs);
  ASSERT_TRUE(ci.ok());
  EXPECT_DOUBLE_EQ(ci->lo, ft.ci95->lo);
  EXPECT_DOUBLE_EQ(ci->hi, ft.ci95->hi);
  EXPECT_FALSE(ft.variance.has_value());
  EXPECT_NE(std::string::npos, ft.variance_note.find("one train seed"));
}

TEST(Report, DdofZeroIsPopulationStd) {
  std::vector<TrialOutcome> outcomes;
  for (int seed = 1; seed <= 5; ++seed) {
    outcomes.push_back(Outcome("cpt", 1, json::object(), seed, 1, 0.5 + 0.01 * seed));
  }
  ReportOptions options;
  options.ddof = 0;
  auto r = BuildReport(outcomes, options);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->cells.size());
  const std::vector<double> xs = {0.51, 0.52, 0.53, 0.54, 0.55};
  EXPECT_DOUBLE_EQ(stats::StdDev(xs, 0), r->cells[0].std);
  // The interval still uses the sample std.
  EXPECT_DOUBLE_EQ(stats::MeanConfidenceInterval(xs)->lo, r->cells[0].ci95->lo);
  EXPECT_EQ(0, r->ddof);
}

TEST(Report, SweptParamsAreThoseThatVaryWithinAShotCount) {
  std::vector<TrialOutcome> outcomes;
  for (int shots : {1, 2}) {
    for (int ctx : {4, 16}) {
      for (int seed = 1; seed <= 2; ++seed) {
        // epochs is a per-shot map (varies only with shots), lr is fixed.
        json params = {{"ctx_len", ctx}, {"epochs", shots == 1 ? 50 : 100}, {"lr", 0.002}};
        outcomes.push_back(Outcome("coop", shots, params, seed, 1, 0.6 + 0.01 * ctx));
      }
    }
  }
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(4u, r->cells.size());
  for (const auto& c : r->cells) {
    EXPECT_EQ(json({{"ctx_len", c.params["ctx_len"]}}), c.swept) << c.params.dump();
    EXPECT_EQ(3u, c.params.size());
  }
  // Ordered by swept params, then shots.
  EXPECT_EQ(4, r->cells[0].swept["ctx_len"]);
  EXPECT_EQ(1, r->cells[0].shots);
  EXPECT_EQ(2, r->cells[1].shots);
  EXPECT_EQ(16, r->cells[2].swept["ctx_len"]);
}

TEST(Report, SeedsInParamsDoNotSplitCells) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("coop", 1, {{"lr", 0.1}, {"data_seed", 1}, {"train_seed", 1}}, 1, 1, 0.5),
      Outcome("coop", 1, {{"lr", 0.1}, {"data_seed", 2}, {"train_seed", 1}}, 2, 1, 0.6),
  };
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->cells.size());
  EXPECT_EQ(2, r->cells[0].n);
  EXPECT_EQ(json({{"lr", 0.1}}), r->cells[0].params);
}

TEST(Report, SweepsStaySeparate) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("coop", 1, json::object(), 1, 1, 0.5, "a"),
      Outcome("coop", 1, json::object(), 1, 1, 0.6, "b"),
  };
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(2u, r->cells.size());
  EXPECT_EQ("a", r->cells[0].sweep);
  EXPECT_EQ("b", r->cells[1].sweep);
}

TEST(Report, OnlyDoneTrialsWithTheMetricCount) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("coop", 1, json::object(), 1, 1, 0.5),
      Outcome("coop", 1, json::object(), 2, 1, 0.6),
      Outcome("coop", 1, json::object(), 3, 1, 0.9),
  };
  outcomes[2].state = "failed";
  TrialOutcome no_metric = Outcome("coop", 1, json::object(), 4, 1, 0.0);
  no_metric.metrics = {{"loss", 0.3}};
  outcomes.push_back(no_metric);
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->cells.size());
  EXPECT_EQ(2, r->cells[0].n);
  // Notes: the trial without the metric, no finetune baseline to compare coop with, and
  // intervals conditional on the one backbone.
  ASSERT_EQ(3u, r->notes.size());
  EXPECT_EQ("1 finished trials without metric 'accuracy' left out", r->notes[0]);
  EXPECT_NE(std::string::npos, r->notes[1].find("baseline method 'finetune'"));
  EXPECT_NE(std::string::npos, r->notes[2].find("conditional on that backbone"));
}

TEST(Report, UnknownMetricListsTheKnownOnes) {
  ReportOptions options;
  options.metric = "acuracy";
  auto r = BuildReport({Outcome("coop", 1, json::object(), 1, 1, 0.5)}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusCode::kNotFound, r.status().code());
  EXPECT_NE(std::string::npos, r.status().message().find("unknown metric 'acuracy'"));
  EXPECT_NE(std::string::npos, r.status().message().find("accuracy, loss"));
}

TEST(Report, OtherMetricAndEmptyInput) {
  ReportOptions options;
  options.metric = "loss";
  auto r = BuildReport({Outcome("coop", 1, json::object(), 1, 1, 0.25)}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(0.75, r->cells[0].mean);
  auto empty = BuildReport({}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->cells.empty());
  ASSERT_EQ(1u, empty->notes.size());
  EXPECT_EQ("no finished trials", empty->notes[0]);
}

TEST(Report, NegativeDdofIsRefused) {
  ReportOptions options;
  options.ddof = -1;
  EXPECT_EQ(StatusCode::kInvalidArgument, BuildReport({}, options).status().code());
}

TEST(Report, VarianceSplitWithTrainSeeds) {
  std::vector<TrialOutcome> outcomes;
  const std::vector<std::vector<double>> groups = {{0.60, 0.62}, {0.70, 0.69}, {0.65, 0.61}};
  for (size_t d = 0; d < groups.size(); ++d) {
    for (size_t t = 0; t < groups[d].size(); ++t) {
      outcomes.push_back(Outcome("coop", 4, json::object(), static_cast<int64_t>(d + 1),
                                 static_cast<int64_t>(t + 1), groups[d][t]));
    }
  }
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  const ReportCell& c = r->cells.at(0);
  EXPECT_EQ(6, c.n);
  EXPECT_EQ(3, c.data_seeds);
  EXPECT_EQ(2, c.train_seeds);
  ASSERT_TRUE(c.variance.has_value()) << c.variance_note;
  // Pair means 0.61, 0.695, 0.63: MS_D = 0.001975; within-pair variance 0.00105 / 3 =
  // 0.00035, of which a pair mean of two trials carries half: var_data = 0.001975 - 0.000175.
  EXPECT_NEAR(0.00035, c.variance->var_train, 1e-15);
  EXPECT_NEAR(0.0018, c.variance->var_data, 1e-15);
  EXPECT_NEAR(0.0018 / (0.0018 + 0.00035), c.variance->share_data, 1e-12);
  EXPECT_TRUE(std::isnan(c.variance->var_backbone));  // one backbone: not estimable
  EXPECT_TRUE(std::isnan(c.variance->share_backbone));
  // The interval is over the three data-seed means (2 df), not the six trials (5 df).
  auto ci = stats::MeanConfidenceInterval({0.61, 0.695, 0.63});
  EXPECT_NEAR(ci->lo, c.ci95->lo, 1e-12);
  EXPECT_NEAR(ci->hi, c.ci95->hi, 1e-12);
  EXPECT_DOUBLE_EQ(2.0, c.ci95_df);
}

// Synthetic data whose variance is all between backbone seeds (3 backbones x 3 data seeds x
// 2 train seeds): the interval has the known width t(0.975, 2) * sqrt(var_B / 3) and is far
// wider than the naive t interval over the 18 trials as if independent.
TEST(Report, AllVarianceBetweenBackbonesWidensTheInterval) {
  std::vector<TrialOutcome> outcomes;
  std::vector<double> values;
  for (int backbone : {1, 2, 3}) {
    for (int data : {1, 2, 3}) {
      for (int train : {1, 2}) {
        TrialOutcome o = Outcome("coop", 4, json::object(), data, train, 0.375 + 0.125 * backbone);
        o.backbone_seed = backbone;
        outcomes.push_back(o);
        values.push_back(0.375 + 0.125 * backbone);
      }
    }
  }
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  const ReportCell& c = r->cells.at(0);
  EXPECT_EQ(3, c.backbone_seeds);
  ASSERT_TRUE(c.ci95.has_value());
  // Backbone means 0.5, 0.625, 0.75: s^2 = 0.015625, Var(mean) = 0.015625 / 3, 2 df.
  const double half = 4.302652729911275 * std::sqrt(0.015625 / 3.0);
  EXPECT_NEAR(0.625 - half, c.ci95->lo, 1e-9);
  EXPECT_NEAR(0.625 + half, c.ci95->hi, 1e-9);
  EXPECT_NEAR(2.0, c.ci95_df, 1e-9);
  auto naive = stats::MeanConfidenceInterval(values);
  ASSERT_TRUE(naive.ok());
  EXPECT_GT(c.ci95->hi - c.ci95->lo, 5.0 * (naive->hi - naive->lo));
  ASSERT_TRUE(c.variance.has_value()) << c.variance_note;
  EXPECT_NEAR(1.0, c.variance->share_backbone, 1e-12);
  EXPECT_NEAR(0.0, c.variance->share_data, 1e-12);
  EXPECT_NEAR(0.0, c.variance->share_train, 1e-12);
  // No note about one backbone: every interval covers the backbone variance.
  for (const auto& note : r->notes) EXPECT_EQ(std::string::npos, note.find("conditional"));
}

// The paired unit is the (backbone seed, data seed) pair, and the t-test's error reflects
// that the method's advantage differs by backbone: with differences +0.1 on one backbone
// and +0.3 on the other (the same on every data seed), the pairs are not 6 independent
// differences (which would give a tiny p), but 2 backbone-level differences: mean 0.2,
// Var(mean) = 0.02 / 2 = 0.01, t = 2 with 1 df.
TEST(Report, PairsAreBackboneAndDataSeedPairs) {
  std::vector<TrialOutcome> outcomes;
  for (int backbone : {1, 2}) {
    for (int data : {1, 2, 3}) {
      const double base = 0.5 + 0.0625 * data;
      for (int train : {1, 2}) {
        TrialOutcome f = Outcome("finetune", 2, json::object(), data, train, base);
        TrialOutcome c = Outcome("coop", 2, json::object(), data, train,
                                 base + (backbone == 1 ? 0.1 : 0.3) + (train == 1 ? 0.01 : -0.01));
        f.backbone_seed = c.backbone_seed = backbone;
        outcomes.push_back(f);
        outcomes.push_back(c);
      }
    }
  }
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->paired.size());
  const PairedComparison& p = r->paired[0];
  EXPECT_EQ(6, p.n_pairs);
  EXPECT_NEAR(0.2, p.mean_diff, 1e-12);
  EXPECT_NEAR(2.0, p.t, 1e-9);
  EXPECT_NEAR(1.0, p.df, 1e-9);
  // Two-sided p of t = 2 with 1 df: 1 - 2 atan(2) / pi.
  EXPECT_NEAR(1.0 - 2.0 * std::atan(2.0) / M_PI, p.p_t, 1e-9);
}

// Outcomes whose per-data-seed means (over two train seeds) are exactly `means`.
void AddSeedMeans(std::vector<TrialOutcome>& out, const std::string& method, int shots,
                  const std::vector<double>& means, const json& params = json::object()) {
  for (size_t i = 0; i < means.size(); ++i) {
    // ±2^-6 around the mean: both values and their average are exact in binary for the
    // reference data (multiples of 1/1000 are not, so the tolerance covers the last bit).
    out.push_back(
        Outcome(method, shots, params, static_cast<int64_t>(i + 1), 1, means[i] + 0.015625));
    out.push_back(
        Outcome(method, shots, params, static_cast<int64_t>(i + 1), 2, means[i] - 0.015625));
  }
}

TEST(Report, PairedComparisonMatchesScipy) {
  // Per data seed, coop averages to x and finetune to y of the reference pairs; the report
  // must reproduce scipy's ttest_rel and wilcoxon on (x, y).
  for (const std::string name : {"n8", "ties", "n20_shift", "n15_exact", "n40_exact"}) {
    const json& t_ref = ReferenceRow("paired_t", name);
    const json& w_ref = ReferenceRow("wilcoxon", name);
    const auto x = t_ref["x"].get<std::vector<double>>();
    const auto y = t_ref["y"].get<std::vector<double>>();
    std::vector<TrialOutcome> outcomes;
    AddSeedMeans(outcomes, "finetune", 2, y);
    AddSeedMeans(outcomes, "coop", 2, x);
    auto r = BuildReport(outcomes, {});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(1u, r->paired.size()) << name;
    const PairedComparison& p = r->paired[0];
    EXPECT_TRUE(p.baseline_found);
    EXPECT_EQ("coop", p.method);
    EXPECT_EQ("finetune", p.baseline);
    EXPECT_EQ(static_cast<int>(x.size()), p.n_pairs);
    ExpectRel(t_ref["mean_diff"], p.mean_diff, name + " mean diff");
    ExpectRel(t_ref["p"], p.p_t, name + " p(t)");
    ExpectRel(t_ref["t"], p.t, name + " t");
    ExpectRel(t_ref["ci_lo"], p.ci95->lo, name + " ci lo");
    ExpectRel(t_ref["ci_hi"], p.ci95->hi, name + " ci hi");
    ExpectRel(w_ref["p"], p.p_wilcoxon, name + " p(W)");
    EXPECT_EQ(w_ref["exact"].get<bool>(), p.wilcoxon_exact) << name;
    // A family of one test: Holm changes nothing.
    EXPECT_DOUBLE_EQ(p.p_t, p.p_t_holm);
  }
}

TEST(Report, HolmAcrossShotCountsPerFamily) {
  std::vector<TrialOutcome> outcomes;
  const std::vector<double> base = {0.50, 0.55, 0.52, 0.58, 0.51};
  for (int shots : {1, 2, 4}) {
    AddSeedMeans(outcomes, "finetune", shots, base);
    for (int ctx : {4, 16}) {
      std::vector<double> better = base;
      for (size_t i = 0; i < better.size(); ++i) better[i] += 0.01 * shots + 0.001 * i * ctx;
      AddSeedMeans(outcomes, "coop", shots, better, {{"ctx_len", ctx}});
    }
  }
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(6u, r->paired.size());
  for (int ctx : {4, 16}) {
    std::vector<double> raw_t;
    std::vector<double> raw_w;
    std::vector<const PairedComparison*> family;
    for (const auto& p : r->paired) {
      if (p.swept == json({{"ctx_len", ctx}})) family.push_back(&p);
    }
    ASSERT_EQ(3u, family.size());
    for (const auto* p : family) {
      raw_t.push_back(p->p_t);
      raw_w.push_back(p->p_wilcoxon);
    }
    const auto adj_t = stats::HolmAdjust(raw_t);
    const auto adj_w = stats::HolmAdjust(raw_w);
    for (size_t k = 0; k < family.size(); ++k) {
      EXPECT_DOUBLE_EQ(adj_t[k], family[k]->p_t_holm);
      EXPECT_DOUBLE_EQ(adj_w[k], family[k]->p_wilcoxon_holm);
      EXPECT_GE(family[k]->p_t_holm, family[k]->p_t);
    }
  }
}

TEST(Report, PairsOnlySharedDataSeedsAfterAveragingTrainSeeds) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("finetune", 1, json::object(), 1, 1, 0.50),
      Outcome("finetune", 1, json::object(), 2, 1, 0.60),
      Outcome("finetune", 1, json::object(), 3, 1, 0.70),  // coop lacks data seed 3
      Outcome("coop", 1, json::object(), 1, 1, 0.55),
      Outcome("coop", 1, json::object(), 1, 2, 0.65),  // seed 1 mean 0.60
      Outcome("coop", 1, json::object(), 2, 1, 0.70),
      Outcome("coop", 1, json::object(), 4, 1, 0.99),  // finetune lacks data seed 4
  };
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->paired.size());
  EXPECT_EQ(2, r->paired[0].n_pairs);
  EXPECT_NEAR(0.10, r->paired[0].mean_diff, 1e-12);
}

TEST(Report, MissingBaselineIsSaid) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("finetune", 1, json::object(), 1, 1, 0.50),
      Outcome("finetune", 1, json::object(), 2, 1, 0.60),
      Outcome("coop", 1, json::object(), 1, 1, 0.55),
      Outcome("coop", 1, json::object(), 2, 1, 0.65),
      Outcome("coop", 2, json::object(), 1, 1, 0.58),
      Outcome("coop", 2, json::object(), 2, 1, 0.68),
      Outcome("zero-shot", 0, json::object(), 0, 0, 0.4),
  };
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(2u, r->paired.size());  // zero-shot is not compared
  EXPECT_TRUE(r->paired[0].baseline_found);
  EXPECT_FALSE(r->paired[1].baseline_found);
  EXPECT_EQ("no finetune cell at shots 2", r->paired[1].note);
  EXPECT_TRUE(std::isnan(r->paired[1].p_t_holm));

  ReportOptions other;
  other.baseline = "linear-probe";
  auto none = BuildReport(outcomes, other);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->paired.empty());
  ASSERT_EQ(2u, none->notes.size());
  EXPECT_NE(std::string::npos, none->notes[0].find("baseline method 'linear-probe'"));
}

TEST(Report, TooFewPairsOrNoDifferences) {
  std::vector<TrialOutcome> outcomes = {
      Outcome("finetune", 1, json::object(), 1, 1, 0.50),
      Outcome("coop", 1, json::object(), 1, 1, 0.55),
      Outcome("finetune", 2, json::object(), 1, 1, 0.50),
      Outcome("finetune", 2, json::object(), 2, 1, 0.60),
      Outcome("coop", 2, json::object(), 1, 1, 0.50),
      Outcome("coop", 2, json::object(), 2, 1, 0.60),
  };
  auto r = BuildReport(outcomes, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(2u, r->paired.size());
  EXPECT_EQ("1 shared pair: no test", r->paired[0].note);
  EXPECT_NEAR(0.05, r->paired[0].mean_diff, 1e-12);
  EXPECT_TRUE(std::isnan(r->paired[0].p_t));
  EXPECT_EQ("all differences are zero", r->paired[1].note);
  EXPECT_TRUE(std::isnan(r->paired[1].p_wilcoxon));
}

}  // namespace
}  // namespace chromatune
