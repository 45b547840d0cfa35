// storage/replicate_model: mean squares and intervals on tables with known answers, the
// one-backbone case against the scipy-checked paired t-test, and simulations of the model
// (backbone and data seeds crossed, train seeds nested in their pairs) whose intervals must
// cover the true mean at the nominal rate, and whose variance components must be unbiased.
#include "storage/replicate_model.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "storage/stats.h"

namespace chromatune::stats {
namespace {

// A balanced two-way table y[b][d] as a PairTable with seeds 1.. and 1...
PairTable Table(const std::vector<std::vector<double>>& y) {
  PairTable t;
  for (size_t b = 0; b < y.size(); ++b) {
    for (size_t d = 0; d < y[b].size(); ++d) {
      t[{static_cast<int64_t>(b + 1), static_cast<int64_t>(d + 1)}] = y[b][d];
    }
  }
  return t;
}

TEST(ReplicateModel, TwoWayMeanSquaresByHand) {
  // Rows (backbones) 1, 2; columns (data seeds) 1..3.
  //   y = [[1, 2, 6], [3, 5, 7]]: grand 4, row means 3 and 5, column means 2, 3.5, 6.5.
  auto m = AnalyzeTable(Table({{1, 2, 6}, {3, 5, 7}}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(2, m->backbone_seeds);
  EXPECT_EQ(3, m->data_seeds);
  EXPECT_EQ(0, m->pairs_left_out);
  EXPECT_DOUBLE_EQ(4.0, m->mean);
  EXPECT_DOUBLE_EQ(3.0 * (1.0 + 1.0) / 1.0, m->ms_backbone);      // 6
  EXPECT_DOUBLE_EQ(2.0 * (4.0 + 0.25 + 6.25) / 2.0, m->ms_data);  // 10.5
  // Residuals y - row - column + grand: [[0, -0.5, 0.5], [0, 0.5, -0.5]]: SS 1, df 2.
  EXPECT_DOUBLE_EQ(0.5, m->ms_residual);
  // Var(mean) = (MS_B + MS_D - MS_R) / 6 = 16 / 6; Satterthwaite df =
  // 16^2 / (6^2 / 1 + 10.5^2 / 2 + 0.5^2 / 2).
  EXPECT_DOUBLE_EQ(16.0 / 6.0, m->variance);
  EXPECT_NEAR(256.0 / (36.0 + 110.25 / 2.0 + 0.25 / 2.0), m->df, 1e-12);
  const Interval ci = MeanInterval(*m, 0.95, nullptr);
  const double half = StudentTQuantile(0.975, m->df) * std::sqrt(16.0 / 6.0);
  EXPECT_NEAR(4.0 - half, ci.lo, 1e-12);
  EXPECT_NEAR(4.0 + half, ci.hi, 1e-12);
}

TEST(ReplicateModel, TruncatedComponentsLeaveTheSumAndItsDegreesOfFreedom) {
  // Columns identical up to the residual: MS_D < MS_R, so var_D is truncated at 0 and
  // Var(mean) = (MS_B - MS_R) / n_D / n_B + MS_R / (n_B n_D) = MS_B / (n_B n_D), df n_B - 1.
  auto m = AnalyzeTable(Table({{1, 1.5, 1}, {5, 4.5, 5}}));
  ASSERT_TRUE(m.ok());
  EXPECT_LT(m->ms_data, m->ms_residual);
  EXPECT_NEAR(m->ms_backbone / 6.0, m->variance, 1e-12);
  EXPECT_NEAR(1.0, m->df, 1e-12);
}

TEST(ReplicateModel, OneBackboneIsThePairedTTestOverDataSeeds) {
  // With one backbone the model is the one-way case: scipy's ttest_rel on data-seed
  // differences (PairedT is checked against scipy in stats_test.cc).
  const std::vector<double> x = {0.61, 0.64, 0.58, 0.70, 0.66};
  const std::vector<double> y = {0.60, 0.61, 0.59, 0.65, 0.62};
  PairTable differences;
  for (size_t i = 0; i < x.size(); ++i) differences[{0, static_cast<int64_t>(i)}] = x[i] - y[i];
  auto m = AnalyzeTable(differences);
  ASSERT_TRUE(m.ok());
  auto reference = PairedT(x, y);
  ASSERT_TRUE(reference.ok());
  EXPECT_EQ(1, m->backbone_seeds);
  EXPECT_TRUE(std::isnan(m->ms_backbone));
  EXPECT_DOUBLE_EQ(4.0, m->df);
  const TableTTest t = TTest(*m);
  EXPECT_NEAR(reference->t, t.t, 1e-12);
  EXPECT_NEAR(reference->p_value, t.p_value, 1e-12);
  const Interval ci = MeanInterval(*m, 0.95, nullptr);
  EXPECT_NEAR(reference->ci95.lo, ci.lo, 1e-12);
  EXPECT_NEAR(reference->ci95.hi, ci.hi, 1e-12);
  // One data seed under several backbones: the one-way case over backbones.
  auto by_backbone = AnalyzeTable({{{1, 5}, 0.5}, {{2, 5}, 0.7}, {{3, 5}, 0.6}});
  ASSERT_TRUE(by_backbone.ok());
  EXPECT_NEAR(Variance({0.5, 0.7, 0.6}, 1) / 3.0, by_backbone->variance, 1e-15);
  EXPECT_DOUBLE_EQ(2.0, by_backbone->df);
}

TEST(ReplicateModel, IncompleteTablesLeaveOutDataSeedsSomeBackboneLacks) {
  PairTable t = Table({{1, 2, 6}, {3, 5, 7}});
  t[{1, 9}] = 100.0;  // data seed 9 only under backbone 1
  auto m = AnalyzeTable(t);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(1, m->pairs_left_out);
  EXPECT_EQ(3, m->data_seeds);
  EXPECT_DOUBLE_EQ(4.0, m->mean);
}

TEST(ReplicateModel, Errors) {
  EXPECT_FALSE(AnalyzeTable({}).ok());
  EXPECT_FALSE(AnalyzeTable({{{1, 1}, 0.5}}).ok());
  EXPECT_FALSE(AnalyzeTable({{{1, 1}, 0.5}, {{1, 2}, NAN}}).ok());
  // Backbone 2 shares no data seed with backbone 1: no complete table.
  EXPECT_FALSE(AnalyzeTable({{{1, 1}, 0.5}, {{2, 2}, 0.6}}).ok());
  auto single_pair = SplitVariance({{1, 1, 0.5}, {1, 1, 0.6}});
  ASSERT_FALSE(single_pair.ok());
  EXPECT_NE(std::string::npos, single_pair.status().message().find("one (backbone seed"));
  auto no_train = SplitVariance({{1, 1, 0.5}, {1, 2, 0.6}, {2, 1, 0.4}, {2, 2, 0.7}});
  ASSERT_FALSE(no_train.ok());
  EXPECT_NE(std::string::npos, no_train.status().message().find("one train seed"));
}

TEST(ReplicateModel, ZeroVarianceGivesAPointIntervalAndScipysTest) {
  auto same = AnalyzeTable(Table({{0.5, 0.5}, {0.5, 0.5}}));
  ASSERT_TRUE(same.ok());
  const Interval ci = MeanInterval(*same, 0.95, nullptr);
  EXPECT_EQ(0.5, ci.lo);
  EXPECT_EQ(0.5, ci.hi);
  EXPECT_EQ(0.0, TTest(*same).p_value);
  EXPECT_TRUE(std::isinf(TTest(*same).t));
  auto zero = AnalyzeTable(Table({{0.0, 0.0}, {0.0, 0.0}}));
  EXPECT_TRUE(std::isnan(TTest(*zero).p_value));
}

// The crossed model with train seeds nested in pairs.
struct Design {
  int backbones;
  int data_seeds;
  int train_seeds;
  double sd_backbone;
  double sd_data;
  double sd_interaction;
  double sd_train;
};

std::vector<Replicate> Simulate(const Design& d, std::mt19937_64& rng) {
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> backbone(d.backbones);
  std::vector<double> data(d.data_seeds);
  for (double& v : backbone) v = d.sd_backbone * z(rng);
  for (double& v : data) v = d.sd_data * z(rng);  // shared by every backbone: crossed
  std::vector<Replicate> out;
  for (int b = 0; b < d.backbones; ++b) {
    for (int s = 0; s < d.data_seeds; ++s) {
      const double pair = backbone[b] + data[s] + d.sd_interaction * z(rng);
      for (int t = 0; t < d.train_seeds; ++t) out.push_back({b, s, pair + d.sd_train * z(rng)});
    }
  }
  return out;  // true mean 0
}

struct Coverage {
  double model = 0.0;   // the replicate model's interval
  double naive = 0.0;   // t interval over all trials as if independent
  double nested = 0.0;  // t interval over backbone means (data seeds nested in backbones)
};

Coverage Simulate95(const Design& d, int replications, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TQuantileCache quantiles;
  Coverage hits;
  for (int r = 0; r < replications; ++r) {
    const std::vector<Replicate> trials = Simulate(d, rng);
    auto m = AnalyzeTable(PairMeans(trials));
    EXPECT_TRUE(m.ok());
    const Interval ci = MeanInterval(*m, 0.95, &quantiles);
    hits.model += ci.lo <= 0.0 && 0.0 <= ci.hi;
    std::vector<double> all;
    for (const auto& t : trials) all.push_back(t.value);
    const Interval naive = *MeanConfidenceInterval(all, 0.95, &quantiles);
    hits.naive += naive.lo <= 0.0 && 0.0 <= naive.hi;
    if (d.backbones >= 2) {
      std::vector<double> backbone_means(d.backbones, 0.0);
      for (const auto& t : trials) {
        backbone_means[t.backbone_seed] += t.value / (d.data_seeds * d.train_seeds);
      }
      const Interval nested = *MeanConfidenceInterval(backbone_means, 0.95, &quantiles);
      hits.nested += nested.lo <= 0.0 && 0.0 <= nested.hi;
    }
  }
  hits.model /= replications;
  hits.naive /= replications;
  hits.nested /= replications;
  return hits;
}

// 4000 replications: the standard error of a 95% coverage estimate is 0.0034.
constexpr int kReplications = 4000;

TEST(ReplicateModelSimulation, AllVarianceBetweenBackbones) {
  const Coverage c = Simulate95({4, 3, 2, 1.0, 0.0, 0.0, 0.01}, kReplications, 1);
  EXPECT_NEAR(0.95, c.model, 0.015);
  EXPECT_LT(c.naive, 0.6);  // 24 "independent" trials: about 0.49
}

TEST(ReplicateModelSimulation, AllVarianceBetweenSharedSupportSets) {
  // Data seeds draw the same support set under every backbone: averaging backbones does
  // not average the support sets away, so an interval over backbone means (the nested
  // analysis) is far too narrow, while the crossed model covers.
  const Coverage c = Simulate95({3, 4, 2, 0.0, 1.0, 0.0, 0.01}, kReplications, 2);
  EXPECT_NEAR(0.95, c.model, 0.015);
  EXPECT_LT(c.nested, 0.1);  // about 0.02
}

TEST(ReplicateModelSimulation, OneBackboneTrainSeedsNestedInDataSeeds) {
  // Today's sweeps: one backbone, data seeds with 3 train seeds each. Treating the 15
  // trials as independent is too narrow when data seeds matter; the model covers.
  const Coverage c = Simulate95({1, 5, 3, 0.0, 1.0, 0.0, 0.5}, kReplications, 3);
  EXPECT_NEAR(0.95, c.model, 0.015);
  EXPECT_LT(c.naive, 0.82);  // about 0.74
}

TEST(ReplicateModelSimulation, EverySourceAtOnce) {
  // Satterthwaite's df for a combination of mean squares with a negative coefficient, on
  // 2 and 2 df, is known to be conservative: the interval covers more often than 95%
  // (0.98 here; 0.96 with 5 x 5 seeds), never less.
  const Coverage c = Simulate95({3, 3, 2, 0.6, 0.6, 0.4, 0.5}, kReplications, 4);
  EXPECT_GE(c.model, 0.94);
  EXPECT_LE(c.model, 0.99);
}

TEST(ReplicateModelSimulation, VarianceComponentsAreUnbiased) {
  // Without truncation the method-of-moments estimators are unbiased; truncation at 0
  // biases them upwards a little, so the true values are large enough to make it rare.
  const Design d{4, 4, 3, 0.8, 0.6, 0.3, 0.4};
  std::mt19937_64 rng(5);
  double backbone = 0.0;
  double data = 0.0;
  double train = 0.0;
  const int reps = 3000;
  for (int r = 0; r < reps; ++r) {
    auto split = SplitVariance(Simulate(d, rng));
    ASSERT_TRUE(split.ok()) << split.status().ToString();
    backbone += split->var_backbone / reps;
    data += split->var_data / reps;
    train += split->var_train / reps;
  }
  EXPECT_NEAR(0.64, backbone, 0.64 * 0.1);
  EXPECT_NEAR(0.36 + 0.09, data, 0.45 * 0.1);
  EXPECT_NEAR(0.16, train, 0.16 * 0.03);
}

TEST(ReplicateModel, SplitOfAKnownTable) {
  // Additive backbone (±0.25) and data (-0.5, 0, 0.5) effects, train seeds ±0.125: no
  // interaction. var_B = 0.125 (two rows ±0.25), var_D = 0.25, var_e = 2 * 0.125^2.
  std::vector<Replicate> trials;
  for (int b : {0, 1}) {
    for (int d : {0, 1, 2}) {
      for (double e : {0.125, -0.125}) {
        trials.push_back({b, d, (b == 0 ? -0.25 : 0.25) + 0.5 * (d - 1) + e});
      }
    }
  }
  auto s = SplitVariance(trials);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(2, s->backbone_seeds);
  EXPECT_EQ(3, s->data_seeds);
  EXPECT_EQ(12, s->trials);
  EXPECT_DOUBLE_EQ(0.125, s->var_backbone);
  EXPECT_DOUBLE_EQ(0.25, s->var_data);
  EXPECT_DOUBLE_EQ(0.03125, s->var_train);
  const double total = 0.125 + 0.25 + 0.03125;
  EXPECT_DOUBLE_EQ(0.125 / total, s->share_backbone);
  EXPECT_DOUBLE_EQ(0.25 / total, s->share_data);
  EXPECT_DOUBLE_EQ(0.03125 / total, s->share_train);
}

}  // namespace
}  // namespace chromatune::stats
