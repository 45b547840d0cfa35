#include "storage/replicate_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>

namespace chromatune::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
// Variance below this fraction of the values' largest square is floating-point noise.
constexpr double kNoiseVariance = 1e-24;

// The complete two-way table inside a pair table: every backbone seed, and the data seeds
// that all of them have.
struct CompleteTable {
  std::vector<int64_t> backbones;
  std::vector<int64_t> data;
  int left_out = 0;
};

CompleteTable Complete(const PairTable& table) {
  CompleteTable c;
  std::set<int64_t> backbones;
  std::map<int64_t, size_t> backbones_per_data_seed;
  for (const auto& [pair, value] : table) {
    backbones.insert(pair.first);
    ++backbones_per_data_seed[pair.second];
  }
  c.backbones.assign(backbones.begin(), backbones.end());
  for (const auto& [data_seed, count] : backbones_per_data_seed) {
    if (count == backbones.size()) c.data.push_back(data_seed);
  }
  c.left_out = static_cast<int>(table.size() - c.backbones.size() * c.data.size());
  return c;
}

double Square(double x) { return x * x; }

}  // namespace

Result<TableMean> AnalyzeTable(const PairTable& table) {
  for (const auto& [pair, value] : table) {
    if (!std::isfinite(value)) return InvalidArgument("the replicate model needs finite values");
  }
  const CompleteTable c = Complete(table);
  TableMean m;
  m.backbone_seeds = static_cast<int>(c.backbones.size());
  m.data_seeds = static_cast<int>(c.data.size());
  m.pairs_left_out = c.left_out;
  const int nb = m.backbone_seeds;
  const int nd = m.data_seeds;
  if (nb * nd < 2) {
    return InvalidArgument(
        "the replicate model needs two or more (backbone seed, data seed) pairs in a complete "
        "table, got " +
        std::to_string(nb * nd));
  }
  std::vector<std::vector<double>> y(nb, std::vector<double>(nd));
  std::vector<double> row(nb, 0.0);
  std::vector<double> column(nd, 0.0);
  double grand = 0.0;
  for (int i = 0; i < nb; ++i) {
    for (int j = 0; j < nd; ++j) {
      y[i][j] = table.at({c.backbones[i], c.data[j]});
      row[i] += y[i][j];
      column[j] += y[i][j];
      grand += y[i][j];
    }
  }
  for (double& r : row) r /= nd;
  for (double& col : column) col /= nb;
  grand /= nb * nd;
  m.mean = grand;
  m.ms_backbone = m.ms_data = m.ms_residual = kNaN;
  double ss = 0.0;
  if (nb >= 2) {
    for (double r : row) ss += Square(r - grand);
    m.ms_backbone = nd * ss / (nb - 1);
  }
  if (nd >= 2) {
    ss = 0.0;
    for (double col : column) ss += Square(col - grand);
    m.ms_data = nb * ss / (nd - 1);
  }
  if (nb < 2 || nd < 2) {
    // One-way: the k = n_B or n_D means are independent draws.
    m.variance = (nb >= 2 ? m.ms_backbone : m.ms_data) / (nb * nd);
    m.df = std::max(nb, nd) - 1.0;
    return m;
  }
  ss = 0.0;
  for (int i = 0; i < nb; ++i) {
    for (int j = 0; j < nd; ++j) ss += Square(y[i][j] - row[i] - column[j] + grand);
  }
  const double df_b = nb - 1.0;
  const double df_d = nd - 1.0;
  const double df_r = df_b * df_d;
  m.ms_residual = ss / df_r;
  // n_B n_D Var(mean) = c_B MS_B + c_D MS_D + c_R MS_R, with a component's mean square in the
  // sum only when its variance estimate is not truncated at 0.
  const double c_b = m.ms_backbone > m.ms_residual ? 1.0 : 0.0;
  const double c_d = m.ms_data > m.ms_residual ? 1.0 : 0.0;
  const double c_r = 1.0 - c_b - c_d;
  const double total = c_b * m.ms_backbone + c_d * m.ms_data + c_r * m.ms_residual;
  m.variance = total / (nb * nd);
  const double spread = Square(c_b * m.ms_backbone) / df_b + Square(c_d * m.ms_data) / df_d +
                        Square(c_r * m.ms_residual) / df_r;
  m.df = spread > 0.0 ? Square(total) / spread : df_r;
  return m;
}

Interval MeanInterval(const TableMean& m, double level, TQuantileCache* cache) {
  if (m.variance == 0.0) return {m.mean, m.mean};
  const double p = 0.5 + level / 2.0;
  const double q = cache ? cache->Quantile(p, m.df) : StudentTQuantile(p, m.df);
  const double half = q * std::sqrt(m.variance);
  return {m.mean - half, m.mean + half};
}

TableTTest TTest(const TableMean& m) {
  TableTTest r;
  if (m.variance == 0.0) {
    r.t = m.mean == 0.0 ? kNaN : std::copysign(kInf, m.mean);
    r.p_value = m.mean == 0.0 ? kNaN : 0.0;
    return r;
  }
  r.t = m.mean / std::sqrt(m.variance);
  r.p_value = std::min(1.0, 2.0 * StudentTSf(std::fabs(r.t), m.df));
  return r;
}

PairTable PairMeans(const std::vector<Replicate>& trials) {
  std::map<std::pair<int64_t, int64_t>, std::pair<double, int>> sums;
  for (const Replicate& r : trials) {
    auto& [sum, count] = sums[{r.backbone_seed, r.data_seed}];
    sum += r.value;
    ++count;
  }
  PairTable means;
  for (const auto& [pair, sum_count] : sums) {
    means[pair] = sum_count.first / sum_count.second;
  }
  return means;
}

Result<VarianceSplit> SplitVariance(const std::vector<Replicate>& trials) {
  std::map<std::pair<int64_t, int64_t>, std::vector<double>> pairs;
  for (const Replicate& r : trials) {
    if (!std::isfinite(r.value)) return InvalidArgument("variance split needs finite values");
    pairs[{r.backbone_seed, r.data_seed}].push_back(r.value);
  }
  if (pairs.size() < 2) {
    return InvalidArgument("one (backbone seed, data seed) pair: all variance is from train seeds");
  }
  double ss_within = 0.0;
  for (const auto& [pair, values] : pairs) {
    const double mean = Mean(values);
    for (double v : values) ss_within += Square(v - mean);
  }
  const auto df_within = static_cast<double>(trials.size() - pairs.size());
  if (df_within == 0.0) {
    return InvalidArgument(
        "one train seed per (backbone seed, data seed) pair: train-seed variance cannot be "
        "told apart from the pairs'");
  }
  PairTable means;
  for (const auto& [pair, values] : pairs) means[pair] = Mean(values);
  CT_ASSIGN_OR_RETURN(const TableMean table, AnalyzeTable(means));
  const CompleteTable c = Complete(means);
  double k = 0.0;  // mean of 1 / (trials in the pair) over the table's pairs
  for (int64_t b : c.backbones) {
    for (int64_t d : c.data) k += 1.0 / static_cast<double>(pairs.at({b, d}).size());
  }
  k /= static_cast<double>(c.backbones.size() * c.data.size());

  VarianceSplit s;
  s.backbone_seeds = table.backbone_seeds;
  s.data_seeds = table.data_seeds;
  s.trials = static_cast<int>(trials.size());
  s.var_train = ss_within / df_within;
  const double noise = k * s.var_train;  // train-seed noise in a pair mean
  const int nb = table.backbone_seeds;
  const int nd = table.data_seeds;
  s.var_backbone = s.var_data = kNaN;
  if (nb >= 2 && nd >= 2) {
    s.var_backbone = std::max(0.0, (table.ms_backbone - table.ms_residual) / nd);
    s.var_data = std::max(0.0, (table.ms_data - table.ms_residual) / nb) +
                 std::max(0.0, table.ms_residual - noise);
  } else if (nb >= 2) {
    s.var_backbone = std::max(0.0, table.ms_backbone - noise);
  } else {
    s.var_data = std::max(0.0, table.ms_data - noise);
  }
  double total = s.var_train;
  if (!std::isnan(s.var_backbone)) total += s.var_backbone;
  if (!std::isnan(s.var_data)) total += s.var_data;
  // Equal values leave rounding noise (~1e-32 of their square) in the mean squares: no
  // variance to share out. Real differences of accuracies are >= 1e-7, variances >= 1e-14.
  double scale = 0.0;
  for (const Replicate& r : trials) scale = std::max(scale, r.value * r.value);
  const bool no_variance = total <= kNoiseVariance * scale;
  const auto share = [&](double v) { return no_variance || total == 0.0 ? kNaN : v / total; };
  s.share_backbone = share(s.var_backbone);
  s.share_data = share(s.var_data);
  s.share_train = share(s.var_train);
  return s;
}

}  // namespace chromatune::stats
