// storage/stats and storage/replicate_model against reference values computed
// independently with scipy/numpy/mpmath (tests/data/make_stats_reference.py ->
// tests/data/stats_reference.json), plus the edge cases and errors the reference file does
// not cover.
#include "storage/stats.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/replicate_model.h"

namespace chromatune::stats {
namespace {

using nlohmann::json;

// Every statistic must match to 1e-9 relative; values below 1e-300 (underflowed tails)
// compare absolutely. `abs_tol` admits quantities that the reference itself forms by
// cancellation (documented at the call site).
void ExpectClose(double expected, double actual, const std::string& what, double abs_tol = 0.0) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": expected NaN, got " << actual;
    return;
  }
  if (std::isinf(expected)) {
    EXPECT_EQ(expected, actual) << what;
    return;
  }
  const double tol = std::max({1e-9 * std::fabs(expected), 1e-300, abs_tol});
  EXPECT_NEAR(expected, actual, tol) << what;
}

const json& Reference() {
  static const json reference = [] {
    // ctest runs tests from the source root (ct_test); __FILE__ is relative under ccache.
    const std::filesystem::path path = "tests/data/stats_reference.json";
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    return json::parse(in);
  }();
  return reference;
}

std::vector<double> Vec(const json& j) { return j.get<std::vector<double>>(); }

TEST(StatsReference, FileIsComplete) {
  for (const char* section :
       {"moments", "student_t", "student_t_quantiles", "normal", "confidence_intervals", "paired_t",
        "wilcoxon", "holm", "replicate_model"}) {
    ASSERT_TRUE(Reference().contains(section)) << section;
    EXPECT_FALSE(Reference()[section].empty()) << section;
  }
}

TEST(StatsReference, Moments) {
  for (const auto& row : Reference()["moments"]) {
    const auto xs = Vec(row["x"]);
    const int ddof = row["ddof"];
    const std::string what = row["x"].dump() + " ddof " + std::to_string(ddof);
    ExpectClose(row["mean"], Mean(xs), "mean " + what);
    if (row.contains("var")) {
      ExpectClose(row["var"], Variance(xs, ddof), "var " + what);
      ExpectClose(row["std"], StdDev(xs, ddof), "std " + what);
    } else {
      EXPECT_TRUE(std::isnan(Variance(xs, ddof))) << what;
    }
  }
}

TEST(StatsReference, StudentT) {
  for (const auto& row : Reference()["student_t"]) {
    const double t = row["t"];
    const double df = row["df"];
    ExpectClose(row["cdf"], StudentTCdf(t, df), "cdf " + row.dump());
    ExpectClose(row["sf"], StudentTSf(t, df), "sf " + row.dump());
    ExpectClose(row["pdf"], StudentTPdf(t, df), "pdf " + row.dump());
  }
}

TEST(StatsReference, StudentTQuantile) {
  for (const auto& row : Reference()["student_t_quantiles"]) {
    const double q = StudentTQuantile(row["p"], row["df"]);
    ExpectClose(row["q"], q, "ppf " + row.dump());
    // And the round trip through the CDF.
    ExpectClose(row["p"], StudentTCdf(q, row["df"]), "cdf(ppf) " + row.dump());
  }
}

TEST(StatsReference, Normal) {
  for (const auto& row : Reference()["normal"]) {
    ExpectClose(row["cdf"], NormalCdf(row["z"]), "norm cdf " + row.dump());
    ExpectClose(row["sf"], NormalSf(row["z"]), "norm sf " + row.dump());
  }
}

TEST(StatsReference, ConfidenceIntervals) {
  for (const auto& row : Reference()["confidence_intervals"]) {
    auto ci = MeanConfidenceInterval(Vec(row["x"]), row["level"]);
    ASSERT_TRUE(ci.ok()) << ci.status().ToString();
    ExpectClose(row["lo"], ci->lo, "ci lo " + row.dump());
    ExpectClose(row["hi"], ci->hi, "ci hi " + row.dump());
  }
}

TEST(StatsReference, PairedT) {
  for (const auto& row : Reference()["paired_t"]) {
    auto r = PairedT(Vec(row["x"]), Vec(row["y"]));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string name = row["name"];
    ExpectClose(row["t"], r->t, "t " + name);
    ExpectClose(row["p"], r->p_value, "p " + name);
    ExpectClose(row["mean_diff"], r->mean_diff, "mean diff " + name);
    ExpectClose(row["ci_lo"], r->ci95.lo, "ci lo " + name);
    ExpectClose(row["ci_hi"], r->ci95.hi, "ci hi " + name);
    EXPECT_EQ(r->n, static_cast<int>(row["x"].size()));
  }
}

TEST(StatsReference, Wilcoxon) {
  for (const auto& row : Reference()["wilcoxon"]) {
    WilcoxonOptions options;
    options.continuity_correction = row["correction"];
    options.tolerance = 1e-12;  // the reference rounds differences to 12 decimals
    auto r = WilcoxonSignedRank(Vec(row["x"]), Vec(row["y"]), options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string what = row["name"].get<std::string>() + " correction " +
                             (options.continuity_correction ? "on" : "off");
    EXPECT_EQ(row["exact"].get<bool>(), r->exact) << what;
    ExpectClose(row["statistic"], r->statistic, "statistic " + what);
    ExpectClose(row["p"], r->p_value, "p " + what);
  }
}

TEST(StatsReference, Holm) {
  for (const auto& row : Reference()["holm"]) {
    const auto adjusted = HolmAdjust(Vec(row["p"]));
    const auto expected = Vec(row["adjusted"]);
    ASSERT_EQ(expected.size(), adjusted.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      ExpectClose(expected[i], adjusted[i], "holm " + row.dump());
    }
  }
}

// Null in the reference: not estimable (NaN here).
double OrNaN(const json& v) {
  return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
}

TEST(StatsReference, ReplicateModel) {
  for (const auto& row : Reference()["replicate_model"]) {
    std::vector<Replicate> trials;
    for (const auto& t : row["trials"]) {
      trials.push_back({t[0].get<int64_t>(), t[1].get<int64_t>(), t[2].get<double>()});
    }
    const std::string what = row["name"];
    auto m = AnalyzeTable(PairMeans(trials));
    ASSERT_TRUE(m.ok()) << what << ": " << m.status().ToString();
    // The reference forms mean squares as differences of residual sums of squares (another
    // route), which loses ~1e-17 absolute to cancellation; hence the absolute floor.
    ExpectClose(row["mean"], m->mean, what + " mean");
    ExpectClose(OrNaN(row["ms_backbone"]), m->ms_backbone, what + " MS_B", 1e-15);
    ExpectClose(OrNaN(row["ms_data"]), m->ms_data, what + " MS_D", 1e-15);
    ExpectClose(OrNaN(row["ms_residual"]), m->ms_residual, what + " MS_R", 1e-15);
    ExpectClose(row["variance"], m->variance, what + " variance", 1e-15);
    ExpectClose(row["df"], m->df, what + " df", 1e-9);
    EXPECT_EQ(row["pairs_left_out"].get<int>(), m->pairs_left_out) << what;
    const Interval ci = MeanInterval(*m, 0.95, nullptr);
    ExpectClose(row["ci_lo"], ci.lo, what + " ci lo", 1e-12);
    ExpectClose(row["ci_hi"], ci.hi, what + " ci hi", 1e-12);
    auto s = SplitVariance(trials);
    ASSERT_TRUE(s.ok()) << what << ": " << s.status().ToString();
    ExpectClose(OrNaN(row["var_backbone"]), s->var_backbone, what + " var_B", 1e-15);
    ExpectClose(OrNaN(row["var_data"]), s->var_data, what + " var_data", 1e-15);
    ExpectClose(row["var_train"], s->var_train, what + " var_train", 1e-15);
    ExpectClose(OrNaN(row["share_backbone"]), s->share_backbone, what + " share B", 1e-12);
    ExpectClose(OrNaN(row["share_data"]), s->share_data, what + " share D", 1e-12);
    ExpectClose(row["share_train"], s->share_train, what + " share T", 1e-12);
  }
}

TEST(Stats, EmptyAndDegenerateMoments) {
  EXPECT_TRUE(std::isnan(Mean({})));
  EXPECT_TRUE(std::isnan(Variance({1.0}, 1)));
  EXPECT_EQ(0.0, Variance({1.0}, 0));
  EXPECT_TRUE(std::isnan(Variance({1.0, 2.0}, -1)));
}

TEST(Stats, StudentTDomain) {
  EXPECT_TRUE(std::isnan(StudentTCdf(1.0, 0.0)));
  EXPECT_TRUE(std::isnan(StudentTCdf(1.0, -2.0)));
  EXPECT_TRUE(std::isnan(StudentTQuantile(1.5, 3.0)));
  EXPECT_EQ(-std::numeric_limits<double>::infinity(), StudentTQuantile(0.0, 3.0));
  EXPECT_EQ(std::numeric_limits<double>::infinity(), StudentTQuantile(1.0, 3.0));
  EXPECT_EQ(0.0, StudentTQuantile(0.5, 3.0));
  EXPECT_EQ(1.0, StudentTCdf(std::numeric_limits<double>::infinity(), 3.0));
  EXPECT_EQ(0.0, StudentTSf(std::numeric_limits<double>::infinity(), 3.0));
}

TEST(Stats, StudentTClosedForms) {
  // df = 1 is Cauchy: cdf(t) = 1/2 + atan(t)/π; df = 2: cdf(t) = 1/2 + t / (2 sqrt(2 + t²)).
  for (double t : {-5.0, -0.5, 0.25, 3.0, 80.0}) {
    ExpectClose(0.5 + std::atan(t) / M_PI, StudentTCdf(t, 1.0), "cauchy");
    ExpectClose(0.5 + t / (2.0 * std::sqrt(2.0 + t * t)), StudentTCdf(t, 2.0), "df 2");
  }
  ExpectClose(std::tan(M_PI * (0.975 - 0.5)), StudentTQuantile(0.975, 1.0), "cauchy ppf");
}

TEST(Stats, ConfidenceIntervalErrors) {
  EXPECT_FALSE(MeanConfidenceInterval({1.0}).ok());
  EXPECT_FALSE(MeanConfidenceInterval({1.0, 2.0}, 1.0).ok());
  EXPECT_FALSE(MeanConfidenceInterval({1.0, std::nan("")}).ok());
  auto constant = MeanConfidenceInterval({0.5, 0.5, 0.5});
  ASSERT_TRUE(constant.ok());
  EXPECT_EQ(0.5, constant->lo);
  EXPECT_EQ(0.5, constant->hi);
}

TEST(Stats, PairedTDegenerate) {
  EXPECT_FALSE(PairedT({1.0, 2.0}, {1.0}).ok());
  EXPECT_FALSE(PairedT({1.0}, {1.0}).ok());
  auto shift = PairedT({2.0, 3.0, 4.0}, {1.0, 2.0, 3.0});
  ASSERT_TRUE(shift.ok());
  EXPECT_EQ(std::numeric_limits<double>::infinity(), shift->t);
  EXPECT_EQ(0.0, shift->p_value);
  auto same = PairedT({1.0, 2.0}, {1.0, 2.0});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(std::isnan(same->p_value));
}

TEST(Stats, WilcoxonErrorsAndZeros) {
  EXPECT_FALSE(WilcoxonSignedRank({1.0, 2.0}, {1.0}).ok());
  EXPECT_FALSE(WilcoxonSignedRank({1.0, 2.0}, {1.0, 2.0}).ok());
  auto r = WilcoxonSignedRank({1.0, 2.0, 3.0, 4.0}, {1.0, 1.0, 1.0, 1.0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(1, r->n_zero);
  EXPECT_FALSE(r->exact);  // a zero forces the normal approximation
  EXPECT_EQ(6.0, r->w_plus);
  EXPECT_EQ(0.0, r->w_minus);
}

TEST(Stats, WilcoxonExactSmallestP) {
  // Five positive untied differences: W+ = 15, the only outcome as extreme on each side,
  // so p = 2 / 2^5.
  auto r = WilcoxonSignedRank({1.0, 2.0, 3.0, 4.0, 5.0}, {0.0, 0.0, 0.0, 0.0, 0.0});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exact);
  EXPECT_EQ(0.0625, r->p_value);
}

TEST(Stats, WilcoxonToleranceMergesFloatingPointTies) {
  // 0.85 - 0.80 and 0.80 - 0.75 differ in the last bits; with a tolerance they tie.
  const std::vector<double> x = {0.85, 0.80, 0.9, 0.7};
  const std::vector<double> y = {0.80, 0.75, 0.6, 0.72};
  ASSERT_NE(x[0] - y[0], x[1] - y[1]);
  auto strict = WilcoxonSignedRank(x, y);
  ASSERT_TRUE(strict.ok());
  EXPECT_TRUE(strict->exact);
  WilcoxonOptions options;
  options.tolerance = 1e-12;
  auto tolerant = WilcoxonSignedRank(x, y, options);
  ASSERT_TRUE(tolerant.ok());
  EXPECT_FALSE(tolerant->exact);
  EXPECT_EQ(2.5 + 2.5 + 4.0, tolerant->w_plus);  // |0.02| ranks 1, the tied pair 2.5 each
}

TEST(Stats, HolmKeepsNaNOutOfTheFamily) {
  const double nan = std::nan("");
  const auto adjusted = HolmAdjust({0.01, nan, 0.04});
  EXPECT_DOUBLE_EQ(0.02, adjusted[0]);
  EXPECT_TRUE(std::isnan(adjusted[1]));
  EXPECT_DOUBLE_EQ(0.04, adjusted[2]);
  EXPECT_TRUE(HolmAdjust({}).empty());
}

TEST(Stats, ConstantReplicatesHaveNoShares) {
  auto constant = SplitVariance({{0, 1, 1.0}, {0, 1, 1.0}, {0, 2, 1.0}, {0, 2, 1.0}});
  ASSERT_TRUE(constant.ok());
  EXPECT_TRUE(std::isnan(constant->share_data));
  EXPECT_TRUE(std::isnan(constant->share_train));
  // 0.1 is not a binary fraction: its means carry rounding noise, which is no variance.
  std::vector<Replicate> tenths;
  for (int b : {1, 2}) {
    for (int d : {1, 2, 3}) {
      for (int t = 0; t < 2; ++t) tenths.push_back({b, d, 0.1});
    }
  }
  auto noise = SplitVariance(tenths);
  ASSERT_TRUE(noise.ok());
  EXPECT_TRUE(std::isnan(noise->share_backbone));
  EXPECT_TRUE(std::isnan(noise->share_data));
  EXPECT_TRUE(std::isnan(noise->share_train));
}

}  // namespace
}  // namespace chromatune::stats
