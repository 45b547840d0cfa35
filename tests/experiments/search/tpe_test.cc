#include "experiments/search/tpe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace chromatune::search {
namespace {

Dimension Numeric(const std::string& name, DimensionKind kind, double low, double high) {
  Dimension d;
  d.name = name;
  d.kind = kind;
  d.low = low;
  d.high = high;
  return d;
}

using Objective = std::function<double(const nlohmann::json&)>;

// Best objective (larger is better) after `budget` sequential evaluations.
double BestAfter(const SearchSpace& space, const Objective& f, uint64_t seed, int budget,
                 bool tpe) {
  TpeOptions options;
  options.n_startup = tpe ? 8 : budget + 1;  // random search: every draw from the prior
  std::vector<TpeObservation> done;
  double best = -1e300;
  for (int i = 0; i < budget; ++i) {
    nlohmann::json x = TpeSuggest(space, options, seed, i, done, {});
    const double y = f(x);
    best = std::max(best, y);
    done.push_back({x, 0, y});
  }
  return best;
}

// Mean regret of TPE and of random search over `seeds` seeds, and how often TPE was better.
struct Comparison {
  double tpe_regret = 0.0;
  double random_regret = 0.0;
  int tpe_wins = 0;
  int ties = 0;
};

Comparison Compare(const SearchSpace& space, const Objective& f, double optimum, int budget,
                   int seeds) {
  Comparison c;
  for (int s = 0; s < seeds; ++s) {
    const double t = optimum - BestAfter(space, f, 1000 + s, budget, true);
    const double r = optimum - BestAfter(space, f, 1000 + s, budget, false);
    c.tpe_regret += t / seeds;
    c.random_regret += r / seeds;
    if (t < r) ++c.tpe_wins;
    if (t == r) ++c.ties;
  }
  return c;
}

TEST(TpeTest, BeatsRandomSearchOnALogScaledLearningRate) {
  // Accuracy against log10(lr): a peak at lr = 10^-2.5 over [1e-5, 1].
  SearchSpace space;
  space.dims.push_back(Numeric("lr", DimensionKind::kLogUniform, 1e-5, 1.0));
  Objective f = [](const nlohmann::json& x) {
    const double z = std::log10(x["lr"].get<double>()) + 2.5;
    return -z * z;
  };
  const Comparison c = Compare(space, f, 0.0, 30, 60);
  EXPECT_LT(c.tpe_regret, 0.5 * c.random_regret)
      << "TPE " << c.tpe_regret << " random " << c.random_regret;
  EXPECT_GT(c.tpe_wins, 36) << "of 60 seeds";
}

TEST(TpeTest, BeatsRandomSearchOnA2DObjectiveWithAnIntegerAndAChoice) {
  // A narrow optimum in (lr, ctx_len) plus a categorical that matters.
  SearchSpace space;
  space.dims.push_back(Numeric("lr", DimensionKind::kLogUniform, 1e-5, 1.0));
  space.dims.push_back(Numeric("ctx_len", DimensionKind::kInt, 1, 64));
  Dimension opt;
  opt.name = "optimizer";
  opt.kind = DimensionKind::kChoice;
  opt.choices = {"sgd", "adamw", "lion"};
  space.dims.push_back(opt);
  Objective f = [](const nlohmann::json& x) {
    const double a = std::log10(x["lr"].get<double>()) + 3.0;
    const double b = (static_cast<double>(x["ctx_len"].get<int64_t>()) - 12.0) / 8.0;
    const double bonus = x["optimizer"] == "adamw" ? 0.0 : -0.5;
    return -(a * a) - (b * b) + bonus;
  };
  const Comparison c = Compare(space, f, 0.0, 40, 60);
  EXPECT_LT(c.tpe_regret, 0.6 * c.random_regret)
      << "TPE " << c.tpe_regret << " random " << c.random_regret;
  EXPECT_GT(c.tpe_wins, 36) << "of 60 seeds";
}

TEST(TpeTest, DeterministicForASeedAndTheSameOrderOfResults) {
  SearchSpace space;
  space.dims.push_back(Numeric("x", DimensionKind::kUniform, -3, 3));
  space.dims.push_back(Numeric("k", DimensionKind::kInt, 0, 9));
  TpeOptions options;
  options.n_startup = 3;
  std::vector<TpeObservation> done;
  for (int i = 0; i < 6; ++i) {
    done.push_back({{{"x", -3.0 + i}, {"k", i}}, 0, static_cast<double>(i % 4)});
  }
  const std::vector<nlohmann::json> running = {{{"x", 0.5}, {"k", 3}}};
  const auto a = TpeSuggest(space, options, 7, 6, done, running);
  const auto b = TpeSuggest(space, options, 7, 6, done, running);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, TpeSuggest(space, options, 8, 6, done, running));
  EXPECT_NE(a, TpeSuggest(space, options, 7, 7, done, running));
  // Values stay in range and integers stay integers.
  for (int i = 0; i < 50; ++i) {
    const auto s = TpeSuggest(space, options, 7, i, done, running);
    EXPECT_GE(s["x"].get<double>(), -3.0);
    EXPECT_LE(s["x"].get<double>(), 3.0);
    ASSERT_TRUE(s["k"].is_number_integer());
    EXPECT_GE(s["k"].get<int64_t>(), 0);
    EXPECT_LE(s["k"].get<int64_t>(), 9);
  }
}

TEST(TpeTest, StartupDrawsAreThePriorAndConstantLiarsMoveSuggestionsAway) {
  SearchSpace space;
  Dimension c;
  c.name = "c";
  c.kind = DimensionKind::kChoice;
  c.choices = {"a", "b"};
  space.dims.push_back(c);
  TpeOptions options;
  options.n_startup = 4;
  // Four results: "a" good, "b" bad. TPE prefers "a"...
  std::vector<TpeObservation> done = {{{{"c", "a"}}, 0, 1.0},
                                      {{{"c", "b"}}, 0, 0.0},
                                      {{{"c", "b"}}, 0, 0.1},
                                      {{{"c", "a"}}, 0, 0.9}};
  int a_without = 0, a_with = 0;
  std::vector<nlohmann::json> liars(6, {{"c", "a"}});
  for (int i = 0; i < 40; ++i) {
    a_without += TpeSuggest(space, options, 3, i, done, {})["c"] == "a";
    a_with += TpeSuggest(space, options, 3, i, done, liars)["c"] == "a";
  }
  EXPECT_EQ(a_without, 40);
  // ...but six workers already running "a" make "b" worth a try.
  EXPECT_LT(a_with, 40);
}

TEST(TpeTest, GoodGroupOrdersByLevelFirst) {
  // A configuration that reached a higher rung is better than a higher score at a lower one.
  SearchSpace space;
  Dimension c;
  c.name = "c";
  c.kind = DimensionKind::kChoice;
  c.choices = {"far", "near"};
  space.dims.push_back(c);
  TpeOptions options;
  options.n_startup = 1;
  options.gamma = 0.01;  // the single best is the good group
  std::vector<TpeObservation> done = {{{{"c", "near"}}, 0, 0.99}, {{{"c", "far"}}, 2, 0.5}};
  int far = 0;
  for (int i = 0; i < 20; ++i) far += TpeSuggest(space, options, 1, i, done, {})["c"] == "far";
  EXPECT_EQ(far, 20);
}

}  // namespace
}  // namespace chromatune::search
