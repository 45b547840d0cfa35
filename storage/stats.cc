#include "storage/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace chromatune::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool AllFinite(const std::vector<double>& xs) {
  return std::all_of(xs.begin(), xs.end(), [](double v) { return std::isfinite(v); });
}

// Continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz). Converges
// quickly for x < (a + 1) / (a + b + 2); the caller uses the symmetry otherwise.
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-16;
  constexpr int kMaxIterations = 10000;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < kEps) break;
  }
  return h;
}

// x^a y^b / B(a, b), in logs.
double BetaFront(double a, double b, double x, double y) {
  return std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                  b * std::log(y));
}

// Exact null distribution of W+ for n untied non-zero differences: counts[s] = number of
// subsets of {1..n} with sum s. Counts stay below 2^n <= 2^50, exact in a double.
std::vector<double> SignedRankCounts(int n) {
  const int max_sum = n * (n + 1) / 2;
  std::vector<double> counts(max_sum + 1, 0.0);
  counts[0] = 1.0;
  for (int k = 1; k <= n; ++k) {
    for (int s = k * (k + 1) / 2; s >= k; --s) counts[s] += counts[s - k];
  }
  return counts;
}

}  // namespace

double Mean(const std::vector<double>& xs) {
  if (xs.empty()) return kNaN;
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double Variance(const std::vector<double>& xs, int ddof) {
  const auto n = static_cast<int>(xs.size());
  if (ddof < 0 || n <= ddof) return kNaN;
  const double mean = Mean(xs);
  double ss = 0.0;
  for (double v : xs) ss += (v - mean) * (v - mean);
  return ss / static_cast<double>(n - ddof);
}

double StdDev(const std::vector<double>& xs, int ddof) { return std::sqrt(Variance(xs, ddof)); }

double RegularizedIncompleteBeta(double a, double b, double x, double y) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(y >= 0.0) || x > 1.0 || y > 1.0) return kNaN;
  if (x == 0.0) return 0.0;
  if (y == 0.0) return 1.0;
  if (x < (a + 1.0) / (a + b + 2.0)) {
    return BetaFront(a, b, x, y) * BetaContinuedFraction(a, b, x) / a;
  }
  return 1.0 - BetaFront(a, b, x, y) * BetaContinuedFraction(b, a, y) / b;
}

double RegularizedIncompleteBeta(double a, double b, double x) {
  return RegularizedIncompleteBeta(a, b, x, 1.0 - x);
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double NormalSf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double StudentTPdf(double t, double df) {
  if (!(df > 0.0) || std::isnan(t)) return kNaN;
  if (std::isinf(t)) return 0.0;
  const double log_norm =
      std::lgamma((df + 1.0) / 2.0) - std::lgamma(df / 2.0) - 0.5 * std::log(df * M_PI);
  return std::exp(log_norm - (df + 1.0) / 2.0 * std::log1p(t * t / df));
}

double StudentTSf(double t, double df) {
  if (!(df > 0.0) || std::isnan(t)) return kNaN;
  if (t < 0.0) return 1.0 - StudentTSf(-t, df);
  if (t == 0.0) return 0.5;
  // sf(t) = I_x(df/2, 1/2) / 2 with x = df / (df + t²); both x and 1 - x are formed without
  // cancellation (and without overflowing t² for huge t).
  double x;
  double y;
  if (t * t > df) {
    const double r = df / t / t;
    x = r / (1.0 + r);
    y = 1.0 / (1.0 + r);
  } else {
    x = df / (df + t * t);
    y = t * t / (df + t * t);
  }
  return 0.5 * RegularizedIncompleteBeta(df / 2.0, 0.5, x, y);
}

double StudentTCdf(double t, double df) {
  if (!(df > 0.0) || std::isnan(t)) return kNaN;
  if (t < 0.0) return StudentTSf(-t, df);
  return 1.0 - StudentTSf(t, df);
}

double StudentTQuantile(double p, double df) {
  if (!(df > 0.0) || std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p == 0.5) return 0.0;
  // Solve sf(t) = q for t > 0 in the tail q = min(p, 1 - p) (1 - p is exact for p >= 0.5),
  // with Newton steps kept inside a bracket that bisection falls back to.
  const double q = p < 0.5 ? p : 1.0 - p;
  const double sign = p < 0.5 ? -1.0 : 1.0;
  double lo = 0.0;
  double hi = 1.0;
  while (StudentTSf(hi, df) > q) {
    lo = hi;
    hi *= 2.0;
    if (std::isinf(hi)) return sign * kInf;
  }
  double t = 0.5 * (lo + hi);
  for (int i = 0; i < 400; ++i) {
    const double f = StudentTSf(t, df) - q;
    if (f == 0.0) break;
    if (f > 0.0) {
      lo = t;
    } else {
      hi = t;
    }
    const double pdf = StudentTPdf(t, df);
    double next = pdf > 0.0 ? t + f / pdf : kNaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const bool converged = std::fabs(next - t) <= 1e-15 * std::fabs(t);
    t = next;
    if (converged || hi - lo <= 1e-16 * hi) break;
  }
  return sign * t;
}

double TQuantileCache::Quantile(double p, double df) {
  auto [it, inserted] = values_.try_emplace({p, df}, 0.0);
  if (inserted) it->second = StudentTQuantile(p, df);
  return it->second;
}

namespace {
double CachedQuantile(TQuantileCache* cache, double p, double df) {
  return cache ? cache->Quantile(p, df) : StudentTQuantile(p, df);
}
}  // namespace

Result<Interval> MeanConfidenceInterval(const std::vector<double>& xs, double level,
                                        TQuantileCache* cache) {
  if (!(level > 0.0 && level < 1.0)) {
    return InvalidArgument("confidence level must be in (0, 1), got " + std::to_string(level));
  }
  if (xs.size() < 2) {
    return InvalidArgument("a confidence interval needs at least 2 values, got " +
                           std::to_string(xs.size()));
  }
  if (!AllFinite(xs)) return InvalidArgument("a confidence interval needs finite values");
  const double n = static_cast<double>(xs.size());
  const double mean = Mean(xs);
  const double half =
      CachedQuantile(cache, 0.5 + level / 2.0, n - 1.0) * StdDev(xs, 1) / std::sqrt(n);
  return Interval{mean - half, mean + half};
}

Result<PairedTTest> PairedT(const std::vector<double>& x, const std::vector<double>& y,
                            TQuantileCache* cache) {
  if (x.size() != y.size()) {
    return InvalidArgument("paired t-test needs samples of equal length, got " +
                           std::to_string(x.size()) + " and " + std::to_string(y.size()));
  }
  if (x.size() < 2) {
    return InvalidArgument("paired t-test needs at least 2 pairs, got " + std::to_string(x.size()));
  }
  std::vector<double> d(x.size());
  for (size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
  if (!AllFinite(d)) return InvalidArgument("paired t-test needs finite values");
  PairedTTest r;
  r.n = static_cast<int>(d.size());
  r.df = r.n - 1.0;
  r.mean_diff = Mean(d);
  const double se = StdDev(d, 1) / std::sqrt(static_cast<double>(r.n));
  if (se == 0.0) {
    // Every difference equal: scipy gives t = ±inf, p = 0, or NaN for all-zero differences.
    r.t = r.mean_diff == 0.0 ? kNaN : std::copysign(kInf, r.mean_diff);
    r.p_value = r.mean_diff == 0.0 ? kNaN : 0.0;
  } else {
    r.t = r.mean_diff / se;
    r.p_value = std::min(1.0, 2.0 * StudentTSf(std::fabs(r.t), r.df));
  }
  const double half = CachedQuantile(cache, 0.975, r.df) * se;
  r.ci95 = {r.mean_diff - half, r.mean_diff + half};
  return r;
}

Result<WilcoxonTest> WilcoxonSignedRank(const std::vector<double>& x, const std::vector<double>& y,
                                        const WilcoxonOptions& options) {
  if (x.size() != y.size()) {
    return InvalidArgument("Wilcoxon test needs samples of equal length, got " +
                           std::to_string(x.size()) + " and " + std::to_string(y.size()));
  }
  WilcoxonTest r;
  r.n = static_cast<int>(x.size());
  std::vector<double> d;
  for (size_t i = 0; i < x.size(); ++i) {
    const double diff = x[i] - y[i];
    if (!std::isfinite(diff)) return InvalidArgument("Wilcoxon test needs finite values");
    if (std::fabs(diff) <= options.tolerance) {
      ++r.n_zero;
    } else {
      d.push_back(diff);
    }
  }
  const int n = static_cast<int>(d.size());
  if (n == 0) return InvalidArgument("Wilcoxon test needs at least one non-zero difference");

  // Average ranks of |d|; runs of neighbours within the tolerance form one tie group.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return std::fabs(d[a]) < std::fabs(d[b]); });
  double tie_term = 0.0;  // Σ (t³ - t) over tie groups
  for (int start = 0; start < n;) {
    int end = start + 1;
    while (end < n &&
           std::fabs(d[order[end]]) - std::fabs(d[order[end - 1]]) <= options.tolerance) {
      ++end;
    }
    const double rank = 0.5 * (start + 1 + end);  // mean of ranks start+1 .. end
    for (int k = start; k < end; ++k) (d[order[k]] > 0 ? r.w_plus : r.w_minus) += rank;
    const double t = end - start;
    tie_term += t * t * t - t;
    start = end;
  }
  r.statistic = std::min(r.w_plus, r.w_minus);

  const double nn = n;
  r.exact = r.n_zero == 0 && tie_term == 0.0 && n <= options.exact_max_n;
  if (r.exact) {
    const std::vector<double> counts = SignedRankCounts(n);
    const int w = static_cast<int>(std::lround(r.w_plus));
    const double below = std::accumulate(counts.begin(), counts.begin() + w + 1, 0.0);
    const double above = std::accumulate(counts.begin() + w, counts.end(), 0.0);
    r.p_value = std::min(1.0, std::ldexp(2.0 * std::min(below, above), -n));
    return r;
  }
  const double mean = nn * (nn + 1.0) / 4.0;
  const double var = nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0 - tie_term / 48.0;
  double correction = 0.0;
  if (options.continuity_correction && r.statistic != mean) {
    correction = r.statistic > mean ? 0.5 : -0.5;
  }
  r.z = (r.statistic - mean - correction) / std::sqrt(var);
  r.p_value = std::min(1.0, 2.0 * NormalSf(std::fabs(r.z)));
  return r;
}

std::vector<double> HolmAdjust(const std::vector<double>& p_values) {
  std::vector<double> adjusted(p_values.size(), kNaN);
  std::vector<size_t> order;
  for (size_t i = 0; i < p_values.size(); ++i) {
    if (!std::isnan(p_values[i])) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  const double m = static_cast<double>(order.size());
  double running = 0.0;
  for (size_t k = 0; k < order.size(); ++k) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(k)) * p_values[order[k]]));
    adjusted[order[k]] = running;
  }
  return adjusted;
}

Result<VarianceSplit> NestedVarianceSplit(const std::vector<std::vector<double>>& groups) {
  VarianceSplit s;
  s.data_seeds = static_cast<int>(groups.size());
  double total = 0.0;
  double sum_n2 = 0.0;
  for (const auto& g : groups) {
    if (g.empty()) return InvalidArgument("variance split: a data seed has no trials");
    if (!AllFinite(g)) return InvalidArgument("variance split needs finite values");
    s.trials += static_cast<int>(g.size());
    total += std::accumulate(g.begin(), g.end(), 0.0);
    sum_n2 += static_cast<double>(g.size()) * static_cast<double>(g.size());
  }
  if (s.data_seeds < 2) {
    return InvalidArgument("variance split needs at least 2 data seeds, got " +
                           std::to_string(s.data_seeds));
  }
  if (s.trials <= s.data_seeds) {
    return InvalidArgument("variance split needs a data seed with 2 or more train seeds");
  }
  const double a = s.data_seeds;
  const double big_n = s.trials;
  const double grand = total / big_n;
  double ss_between = 0.0;
  double ss_within = 0.0;
  for (const auto& g : groups) {
    const double m = Mean(g);
    ss_between += static_cast<double>(g.size()) * (m - grand) * (m - grand);
    for (double v : g) ss_within += (v - m) * (v - m);
  }
  s.ms_between = ss_between / (a - 1.0);
  s.ms_within = ss_within / (big_n - a);
  s.n0 = (big_n - sum_n2 / big_n) / (a - 1.0);
  s.var_train = s.ms_within;
  s.var_data = std::max(0.0, (s.ms_between - s.ms_within) / s.n0);
  const double total_var = s.var_data + s.var_train;
  s.share_data = total_var > 0.0 ? s.var_data / total_var : kNaN;
  return s;
}

}  // namespace chromatune::stats
