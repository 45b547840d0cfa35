#include "experiments/search/tpe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

namespace chromatune::search {
namespace {

constexpr double kTiny = 1e-300;

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// A standard normal draw (Box-Muller on two uniforms of the sampler).
double NormalDraw(ParamSampler& rng) {
  const double u1 = std::max(rng.NextUnit(), 1e-300);
  const double u2 = rng.NextUnit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// A numeric dimension in the space where its density is fitted: log for log-uniform, the
// integers widened by half a step on each side so that both ends get their share.
struct Axis {
  double low = 0.0;
  double high = 0.0;
};

Axis AxisOf(const Dimension& d) {
  switch (d.kind) {
    case DimensionKind::kLogUniform:
      return {std::log(d.low), std::log(d.high)};
    case DimensionKind::kInt:
      return {d.low - 0.5, d.high + 0.5};
    default:
      return {d.low, d.high};
  }
}

std::optional<double> ToAxis(const Dimension& d, const nlohmann::json& value) {
  if (!value.is_number()) return std::nullopt;
  const double v = value.get<double>();
  if (d.kind == DimensionKind::kLogUniform)
    return v > 0 ? std::optional<double>(std::log(v)) : std::nullopt;
  return v;
}

nlohmann::json FromAxis(const Dimension& d, double x) {
  switch (d.kind) {
    case DimensionKind::kLogUniform:
      return std::fmin(d.high, std::fmax(d.low, std::exp(x)));
    case DimensionKind::kInt: {
      const double r = std::round(x);
      return static_cast<int64_t>(std::fmin(d.high, std::fmax(d.low, r)));
    }
    default:
      return std::fmin(d.high, std::fmax(d.low, x));
  }
}

// A mixture of Gaussians truncated to the axis: one per observed value, with hyperopt's
// adaptive bandwidth (the larger gap to a neighbour, clipped), plus a prior component
// centred on the axis with the axis' width.
class ParzenEstimator {
 public:
  ParzenEstimator(const Axis& axis, const std::vector<double>& values, double prior_weight)
      : axis_(axis) {
    const double width = axis.high - axis.low;
    const double prior_mu = 0.5 * (axis.low + axis.high);
    std::vector<double> mus = values;
    mus.push_back(prior_mu);
    std::vector<size_t> order(mus.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return mus[a] < mus[b]; });
    const double min_sigma = width / std::min(100.0, 1.0 + static_cast<double>(mus.size()));
    sigmas_.assign(mus.size(), width);
    for (size_t k = 0; k < order.size(); ++k) {
      const double left = k == 0 ? mus[order[k]] - axis.low : mus[order[k]] - mus[order[k - 1]];
      const double right =
          k + 1 == order.size() ? axis.high - mus[order[k]] : mus[order[k + 1]] - mus[order[k]];
      sigmas_[order[k]] = std::clamp(std::max(left, right), min_sigma, width);
    }
    sigmas_.back() = width;  // the prior stays wide
    mus_ = std::move(mus);
    weights_.assign(mus_.size(), 1.0);
    weights_.back() = prior_weight;
    const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
    for (double& w : weights_) w /= total;
    for (size_t i = 0; i < mus_.size(); ++i) {
      mass_.push_back(std::max(kTiny, NormalCdf((axis.high - mus_[i]) / sigmas_[i]) -
                                          NormalCdf((axis.low - mus_[i]) / sigmas_[i])));
    }
  }

  double Sample(ParamSampler& rng) const {
    double u = rng.NextUnit();
    size_t k = 0;
    while (k + 1 < weights_.size() && u >= weights_[k]) u -= weights_[k++];
    // Rejection from the untruncated Gaussian: its mean lies on the axis, so at least about
    // a third of the draws land on it; the bound only guards against pathological inputs.
    for (int attempt = 0; attempt < 100; ++attempt) {
      const double x = mus_[k] + sigmas_[k] * NormalDraw(rng);
      if (x >= axis_.low && x <= axis_.high) return x;
    }
    return std::clamp(mus_[k], axis_.low, axis_.high);
  }

  double LogPdf(double x) const {
    double total = 0.0;
    for (size_t i = 0; i < mus_.size(); ++i) {
      const double z = (x - mus_[i]) / sigmas_[i];
      total +=
          weights_[i] * std::exp(-0.5 * z * z) / (sigmas_[i] * std::sqrt(2.0 * M_PI) * mass_[i]);
    }
    return std::log(std::max(total, kTiny));
  }

 private:
  Axis axis_;
  std::vector<double> mus_, sigmas_, weights_, mass_;
};

// Smoothed frequencies of the choices: prior_weight spread evenly plus one per observation.
std::vector<double> ChoiceProbabilities(size_t n_choices, const std::vector<size_t>& observed,
                                        double prior_weight) {
  std::vector<double> p(n_choices, prior_weight / static_cast<double>(n_choices));
  for (size_t c : observed) p[c] += 1.0;
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& x : p) x /= total;
  return p;
}

std::optional<size_t> ChoiceIndex(const Dimension& d, const nlohmann::json& value) {
  for (size_t i = 0; i < d.choices.size(); ++i) {
    if (d.choices[i] == value) return i;
  }
  return std::nullopt;
}

nlohmann::json SuggestDimension(const Dimension& d, const TpeOptions& options,
                                const std::vector<const nlohmann::json*>& good,
                                const std::vector<const nlohmann::json*>& bad, ParamSampler& rng) {
  const int64_t n = std::max<int64_t>(1, options.n_candidates);
  if (d.kind == DimensionKind::kChoice) {
    std::vector<size_t> g, b;
    for (const auto* p : good) {
      if (auto i = ChoiceIndex(d, p->value(d.name, nlohmann::json()))) g.push_back(*i);
    }
    for (const auto* p : bad) {
      if (auto i = ChoiceIndex(d, p->value(d.name, nlohmann::json()))) b.push_back(*i);
    }
    const auto pl = ChoiceProbabilities(d.choices.size(), g, options.prior_weight);
    const auto pg = ChoiceProbabilities(d.choices.size(), b, options.prior_weight);
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < n; ++k) {
      double u = rng.NextUnit();
      size_t c = 0;
      while (c + 1 < pl.size() && u >= pl[c]) u -= pl[c++];
      const double score = std::log(pl[c]) - std::log(pg[c]);
      if (score > best_score) {
        best_score = score;
        best = c;
      }
    }
    return d.choices[best];
  }
  if (d.low == d.high) {
    return d.kind == DimensionKind::kInt ? nlohmann::json(static_cast<int64_t>(d.low))
                                         : nlohmann::json(d.low);
  }
  const Axis axis = AxisOf(d);
  auto values = [&](const std::vector<const nlohmann::json*>& group) {
    std::vector<double> out;
    for (const auto* p : group) {
      if (auto x = ToAxis(d, p->value(d.name, nlohmann::json()))) {
        out.push_back(std::clamp(*x, axis.low, axis.high));
      }
    }
    return out;
  };
  const ParzenEstimator l(axis, values(good), options.prior_weight);
  const ParzenEstimator g(axis, values(bad), options.prior_weight);
  double best = 0.0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int64_t k = 0; k < n; ++k) {
    const double x = l.Sample(rng);
    const double score = l.LogPdf(x) - g.LogPdf(x);
    if (score > best_score) {
      best_score = score;
      best = x;
    }
  }
  return FromAxis(d, best);
}

}  // namespace

nlohmann::json TpeSuggest(const SearchSpace& space, const TpeOptions& options, uint64_t seed,
                          int64_t index, const std::vector<TpeObservation>& done,
                          const std::vector<nlohmann::json>& running) {
  ParamSampler rng(SuggestionSeed(seed, index));
  if (static_cast<int64_t>(done.size()) < std::max<int64_t>(1, options.n_startup)) {
    return DrawFromPrior(space, rng);
  }
  // Best first; ties keep the order in which the results arrived.
  std::vector<size_t> order(done.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (done[a].level != done[b].level) return done[a].level > done[b].level;
    return done[a].score > done[b].score;
  });
  const auto n = static_cast<int64_t>(done.size());
  const int64_t n_good =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(options.gamma * static_cast<double>(n))),
                          1, std::min(n, std::max<int64_t>(1, options.max_good)));
  std::vector<const nlohmann::json*> good, bad;
  for (int64_t i = 0; i < n; ++i) {
    (i < n_good ? good : bad).push_back(&done[order[static_cast<size_t>(i)]].params);
  }
  for (const auto& r : running) bad.push_back(&r);  // constant liar: as bad as can be
  nlohmann::json out = nlohmann::json::object();
  for (const Dimension& d : space.dims) out[d.name] = SuggestDimension(d, options, good, bad, rng);
  return out;
}

}  // namespace chromatune::search
