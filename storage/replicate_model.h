// The replicate model: how the trials of one report cell vary with their backbone seed, data
// seed and train seed, and what that variation means for the uncertainty of the cell's mean
// and of a paired difference between two methods (docs/statistics.md, "Replicates as random
// effects").
//
//   y_bdt = mu + B_b + D_d + BD_bd + e_bdt
//
// B_b: the pretraining run (backbone seed b); D_d: the support set drawn by data seed d;
// BD_bd: how well that support set suits that backbone; e_bdt: the train seed (initialisation
// and order) within the pair (b, d). All are independent random effects with variances
// var_B, var_D, var_BD, var_e, estimated by the method of moments (ANOVA). Train seeds are
// nested in (backbone seed, data seed) pairs; data seeds are CROSSED with backbone seeds, not
// nested in them: data seed d draws the same support set under every backbone
// (datasets/sampler.h), so D_d is shared by all backbones, and an analysis that nested data
// seeds in backbones would leave var_D / n_D out of the interval of the mean.
//
// Everything is computed from the table of pair means m_bd (train seeds averaged within each
// (backbone seed, data seed) pair, the unit paired comparisons pair on). The table must be
// complete for the two-way analysis: data seeds that some backbone seed lacks (failed
// trials) are left out of it and counted in `pairs_left_out`.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/stats.h"

namespace chromatune::stats {

// One value per (backbone seed, data seed) pair.
using PairTable = std::map<std::pair<int64_t, int64_t>, double>;

// The mean of a pair table and its estimated sampling variance under the model.
//   n_B >= 2, n_D >= 2: mean squares of the two-way table (rows: backbone seeds, columns:
//     data seeds) MS_B, MS_D, MS_R (residual, which holds var_BD + var_e / n); then
//     var_B = max(0, (MS_B - MS_R) / n_D), var_D = max(0, (MS_D - MS_R) / n_B) and
//     Var(mean) = var_B / n_B + var_D / n_D + MS_R / (n_B n_D), which is
//     (MS_B + MS_D - MS_R) / (n_B n_D) when neither is truncated; its degrees of freedom by
//     Satterthwaite's approximation over the mean squares it combines.
//   n_B = 1 or n_D = 1: the one-way case, Var(mean) = s^2 / k over the k rows or columns,
//     with k - 1 df: conditional on the single backbone (or support set).
struct TableMean {
  int backbone_seeds = 0;  // n_B of the table analysed
  int data_seeds = 0;      // n_D (those every backbone seed has)
  int pairs_left_out = 0;  // pairs of data seeds that some backbone seed lacks
  double mean = 0.0;
  double ms_backbone = 0.0;  // MS_B; NaN with one backbone seed
  double ms_data = 0.0;      // MS_D; NaN with one data seed
  double ms_residual = 0.0;  // MS_R; NaN unless both have two or more
  double variance = 0.0;     // estimated Var(mean)
  double df = 0.0;           // its degrees of freedom
};

// Errors: kInvalidArgument when fewer than two pairs remain, or a value is not finite.
Result<TableMean> AnalyzeTable(const PairTable& table);

// mean ± t(0.5 + level / 2, df) · sqrt(variance); `cache` may be null.
Interval MeanInterval(const TableMean& m, double level, TQuantileCache* cache);

// The t-test of mean = 0: t = mean / sqrt(variance), two-sided p from t with df. When the
// variance is 0: t = ±inf and p = 0, or both NaN when the mean is 0 too (scipy's convention).
struct TableTTest {
  double t = 0.0;
  double p_value = 0.0;
};
TableTTest TTest(const TableMean& m);

// One finished trial's value with its replicate seeds (the train seed only distinguishes
// trials within a pair, so it is not needed).
struct Replicate {
  int64_t backbone_seed = 0;
  int64_t data_seed = 0;
  double value = 0.0;
};

// The mean of each (backbone seed, data seed) pair's trials.
PairTable PairMeans(const std::vector<Replicate>& trials);

// The split of a cell's variance into its sources:
//   var_train    = var_e: pooled within-pair variance (pairs with two or more trials).
//   var_backbone = var_B (with one data seed it also holds var_BD: the two cannot be told
//                  apart); NaN with one backbone seed.
//   var_data     = var_D + var_BD: between support sets under one backbone; NaN with one
//                  data seed.
// With k = the mean over the table's pairs of 1 / (trials in the pair), each pair mean
// carries var_e * k of train-seed noise, which the estimators remove:
//   n_B, n_D >= 2: var_B = max(0, (MS_B - MS_R) / n_D),
//                  var_data = max(0, (MS_D - MS_R) / n_B) + max(0, MS_R - k var_e)
//   n_D = 1:       var_B = max(0, MS_B - k var_e);  n_B = 1: var_data = max(0, MS_D - k var_e)
// Shares are of the sum of the components that are estimable (NaN for the others, and all
// NaN when the sum is 0 or below 1e-24 of the largest squared value: rounding noise of
// equal values).
struct VarianceSplit {
  int backbone_seeds = 0;
  int data_seeds = 0;
  int trials = 0;
  double var_backbone = 0.0;
  double var_data = 0.0;
  double var_train = 0.0;
  double share_backbone = 0.0;
  double share_data = 0.0;
  double share_train = 0.0;
};

// Errors (kInvalidArgument, the message says why): no pair with two or more trials (train
// seed variance is then confounded with the pairs'), a single pair (nothing to split),
// non-finite values, or AnalyzeTable's errors.
Result<VarianceSplit> SplitVariance(const std::vector<Replicate>& trials);

}  // namespace chromatune::stats
