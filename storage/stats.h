// Statistics for reports over replicates: moments, the normal and Student-t distributions
// (Boost.Math), confidence intervals, paired t-test, Wilcoxon signed-rank test and
// Holm-Bonferroni correction. The random-effects model of backbone, data and train seeds is
// storage/replicate_model.h. docs/statistics.md states every formula and convention, and
// tests/storage/stats_test.cc checks each against scipy/mpmath
// (tests/data/stats_reference.json).
//
// Conventions: distribution functions return NaN for parameters outside their domain (as
// scipy does); the tests and summaries return Status for data that cannot support them
// (too few values, NaN/inf values, ddof too large). All functions are pure and thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace chromatune::stats {

// Arithmetic mean; NaN for an empty input.
double Mean(const std::vector<double>& xs);

// Variance with divisor n - ddof (ddof 1: sample, ddof 0: population, CPT's convention).
// NaN when n <= ddof.
double Variance(const std::vector<double>& xs, int ddof);
double StdDev(const std::vector<double>& xs, int ddof);

// Standard normal distribution.
double NormalCdf(double z);
double NormalSf(double z);  // 1 - cdf, accurate in the upper tail

// Student-t distribution with df > 0 degrees of freedom (real df allowed).
double StudentTPdf(double t, double df);
double StudentTCdf(double t, double df);
double StudentTSf(double t, double df);  // 1 - cdf, accurate in the upper tail
// Inverse of StudentTCdf for 0 < p < 1 (±inf at 0 and 1).
double StudentTQuantile(double p, double df);

// Memo of StudentTQuantile for callers that form many intervals with few distinct degrees
// of freedom (a report over thousands of cells). Not thread-safe: one per computation.
class TQuantileCache {
 public:
  double Quantile(double p, double df);

 private:
  std::map<std::pair<double, double>, double> values_;
};

struct Interval {
  double lo = 0.0;
  double hi = 0.0;
};

// Two-sided t confidence interval of the mean at `level` (0.95 = 95%): mean ± q·s/√n with
// s the sample standard deviation (ddof 1) and q the t quantile with n - 1 df. Needs n >= 2.
// `cache`, if given, memoises the quantile.
Result<Interval> MeanConfidenceInterval(const std::vector<double>& xs, double level = 0.95,
                                        TQuantileCache* cache = nullptr);

struct PairedTTest {
  int n = 0;               // number of pairs
  double mean_diff = 0.0;  // mean of x - y
  double t = 0.0;          // ±inf when every difference is the same non-zero value
  double df = 0.0;         // n - 1
  double p_value = 0.0;    // two-sided; NaN when every difference is 0 (as scipy)
  Interval ci95;           // 95% t interval of the mean difference
};

// Paired t-test of x against y (scipy.stats.ttest_rel, two-sided). Needs n >= 2 pairs of
// finite values and x.size() == y.size().
Result<PairedTTest> PairedT(const std::vector<double>& x, const std::vector<double>& y,
                            TQuantileCache* cache = nullptr);

struct WilcoxonOptions {
  // Continuity correction (±0.5) of the normal approximation. On by default as in R's
  // wilcox.test; scipy.stats.wilcoxon's default is off (correction=False).
  bool continuity_correction = true;
  // Absolute differences within this distance of 0 count as zero, and sorted absolute
  // differences within this distance of their neighbour count as tied. 0 = exact equality
  // (scipy). Reports pass a tiny tolerance so that floating-point noise in differences of
  // accuracies (0.85 - 0.80 vs 0.80 - 0.75) does not break real ties.
  double tolerance = 0.0;
  // Largest number of non-zero differences for which the exact null distribution is used
  // (when there are no ties and no zeros). 50 as in scipy's method="auto".
  int exact_max_n = 50;
};

struct WilcoxonTest {
  int n = 0;               // pairs given
  int n_zero = 0;          // zero differences, dropped (scipy's zero_method="wilcox")
  double w_plus = 0.0;     // sum of ranks of positive differences
  double w_minus = 0.0;    // sum of ranks of negative differences
  double statistic = 0.0;  // min(w_plus, w_minus), as scipy reports it
  bool exact = false;      // exact null distribution, else normal approximation
  double z = 0.0;          // normal approximation only
  double p_value = 0.0;    // two-sided
};

// Wilcoxon signed-rank test of the differences x - y, two-sided. Zeros are dropped; with
// n' non-zero differences, the exact distribution of W+ is used when n' <= exact_max_n
// and there are no ties and no zeros, else the normal approximation with the tie
// correction of the variance (and the continuity correction if enabled). Needs at least
// one non-zero difference.
Result<WilcoxonTest> WilcoxonSignedRank(const std::vector<double>& x, const std::vector<double>& y,
                                        const WilcoxonOptions& options = {});

// Holm-Bonferroni step-down adjustment. NaN entries (tests that could not be run) stay NaN
// and do not count in the family size. Adjusted values are monotone in the raw order and
// capped at 1 (statsmodels multipletests(method="holm")).
std::vector<double> HolmAdjust(const std::vector<double>& p_values);

}  // namespace chromatune::stats
