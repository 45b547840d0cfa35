#include "experiments/search/asha.h"

#include <gtest/gtest.h>

#include <cmath>

namespace chromatune::search {
namespace {

TEST(AshaTest, RungsAreMinTimesEtaToTheKBelowMax) {
  EXPECT_EQ(RungEpochs({1, 27, 3}), (std::vector<int64_t>{1, 3, 9}));
  EXPECT_EQ(RungEpochs({2, 20, 3}), (std::vector<int64_t>{2, 6, 18}));
  EXPECT_EQ(RungEpochs({1, 8, 2}), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(RungEpochs({5, 5, 3}), (std::vector<int64_t>{}));
  EXPECT_EQ(RungEpochs({10, 200, 4}), (std::vector<int64_t>{10, 40, 160}));
}

TEST(AshaTest, PromotesTheTopOneOverEtaOfThoseDecidedSoFar) {
  EXPECT_TRUE(Promotes(0.5, {}, 3, true));      // the first: best of one
  EXPECT_FALSE(Promotes(0.4, {0.5}, 3, true));  // fewer than eta: must beat all
  EXPECT_TRUE(Promotes(0.5, {0.5}, 3, true));   // ties promote
  // n = 3: top max(1, 1) = 1; 0.6 is second of {0.7, 0.6, 0.5}.
  EXPECT_FALSE(Promotes(0.6, {0.5, 0.7}, 3, true));
  // n = 6: top 2 of {0.7, 0.6, 0.5, 0.3, 0.2, 0.1}: 0.6 is promoted.
  EXPECT_TRUE(Promotes(0.6, {0.5, 0.7, 0.1, 0.2, 0.3}, 3, true));
  // Minimising: the smallest is the best.
  EXPECT_TRUE(Promotes(0.1, {0.5, 0.7}, 3, false));
  EXPECT_FALSE(Promotes(0.6, {0.5, 0.7}, 3, false));
}

// Synthetic learning curves: configuration c reaches acc_c(e) = top_c * (1 - exp(-e / 3)).
double Curve(double top, int64_t epoch) { return top * (1.0 - std::exp(-epoch / 3.0)); }

TEST(AshaTest, DecisionsExactOnSyntheticCurves) {
  // Nine configurations, one replicate each, reporting in the order they were started;
  // schedule min 1, max 27, eta 3: rungs at 1, 3, 9 epochs.
  const std::vector<double> tops = {0.5, 0.8, 0.3, 0.9, 0.6, 0.7, 0.2, 0.95, 0.4};
  const auto rungs = RungEpochs({1, 27, 3});
  PairedAsha asha(static_cast<int>(rungs.size()), 3, true);
  std::vector<RungDecision> all;
  for (size_t c = 0; c < tops.size(); ++c) {
    asha.SetReplicates("c" + std::to_string(c), {"r"});
  }
  // Each configuration reports its rungs as it trains, until it is stopped.
  for (size_t c = 0; c < tops.size(); ++c) {
    const std::string name = "c" + std::to_string(c);
    for (size_t r = 0; r < rungs.size(); ++r) {
      if (asha.StoppedAt(name)) break;
      for (auto& d : asha.Report(name, "r", static_cast<int>(r), Curve(tops[c], rungs[r]))) {
        all.push_back(d);
      }
    }
  }
  // Rung 0, in arrival order (value ranks among those decided so far, top max(1, n/3)):
  //  c0 .5 first -> go; c1 .8 best -> go; c2 .3 -> stop; c3 .9 (n=4, top 1) -> go;
  //  c4 .6 (n=5, top 1) -> stop; c5 .7 (n=6, top 2: .9, .8) -> stop; c6 .2 -> stop;
  //  c7 .95 -> go; c8 .4 (n=9, top 3: .95 .9 .8) -> stop.
  // Rung 1 (promoted ones, in the order they got there): c0 first -> go; c1 .8 > .5 -> go;
  //  c3 (n=3, top 1: .9) -> go; c7 (n=4, top 1: .95) -> go.
  // Rung 2: c0 first -> go; c1 beats c0 -> go; c3 -> go; c7 (n=4, top 1) -> go.
  std::vector<std::string> got;
  for (const auto& d : all) {
    got.push_back(d.config + "@" + std::to_string(d.rung) + (d.promoted ? "+" : "-"));
  }
  const std::vector<std::string> want = {"c0@0+", "c0@1+", "c0@2+", "c1@0+", "c1@1+", "c1@2+",
                                         "c2@0-", "c3@0+", "c3@1+", "c3@2+", "c4@0-", "c5@0-",
                                         "c6@0-", "c7@0+", "c7@1+", "c7@2+", "c8@0-"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(asha.StoppedAt("c5"), 0);
  EXPECT_FALSE(asha.StoppedAt("c7").has_value());
  EXPECT_DOUBLE_EQ(asha.decisions()[0].mean, Curve(0.5, 1));
}

TEST(AshaTest, RepeatedReportsCountOnceAndDecisionsAreFinal) {
  PairedAsha asha(2, 2, true);
  asha.SetReplicates("a", {"s1"});
  asha.SetReplicates("b", {"s1"});
  EXPECT_EQ(asha.Report("a", "s1", 0, 0.5).size(), 1u);
  // A re-leased trial reports rung 0 again with another value: ignored.
  EXPECT_FALSE(asha.Record("a", "s1", 0, 0.1));
  EXPECT_TRUE(asha.Report("a", "s1", 0, 0.1).empty());
  EXPECT_EQ(asha.decisions().size(), 1u);
  EXPECT_EQ(asha.Decision("a", 0), true);
  // b is worse at rung 0: stopped; its later rung-1 report changes nothing.
  ASSERT_EQ(asha.Report("b", "s1", 0, 0.4).size(), 1u);
  EXPECT_EQ(asha.StoppedAt("b"), 0);
  EXPECT_TRUE(asha.Report("b", "s1", 1, 0.99).empty());
  EXPECT_FALSE(asha.Decision("b", 1).has_value());
  // Reports of unknown replicates or rungs are refused.
  EXPECT_FALSE(asha.Record("a", "s9", 1, 0.5));
  EXPECT_FALSE(asha.Record("a", "s1", 3, 0.5));
}

TEST(AshaTest, RestoredDecisionsContinueWhereTheyStood) {
  PairedAsha before(1, 2, true);
  before.SetReplicates("a", {"s"});
  before.SetReplicates("b", {"s"});
  before.Report("a", "s", 0, 0.9);
  // A restarted coordinator rebuilds from rows: replicates, reports, decisions in order.
  PairedAsha after(1, 2, true);
  after.SetReplicates("a", {"s"});
  after.SetReplicates("b", {"s"});
  after.Record("a", "s", 0, 0.9);
  for (const auto& d : before.decisions()) after.Restore(d);
  EXPECT_TRUE(after.DecideReady().empty());  // nothing decided twice
  const auto d = after.Report("b", "s", 0, 0.8);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].promoted);  // compared with a's restored decision
}

TEST(PairedAshaTest, ADecisionWaitsForEveryReplicateAndUsesTheGroupMean) {
  PairedAsha asha(1, 2, true);
  asha.SetReplicates("a", {"d1", "d2", "d3"});
  EXPECT_TRUE(asha.Report("a", "d1", 0, 0.9).empty());
  EXPECT_TRUE(asha.Report("a", "d2", 0, 0.3).empty());
  EXPECT_FALSE(asha.Mean("a", 0).has_value());
  const auto d = asha.Report("a", "d3", 0, 0.3);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_DOUBLE_EQ(d[0].mean, 0.5);
}

TEST(PairedAshaTest, OneLuckySupportSetDoesNotPromoteTheWrongConfiguration) {
  // Configuration A is worse on average (0.9, 0.3, 0.3: mean 0.5) than B (0.6 on every data
  // seed), but A's first data seed is lucky. eta = 2: the top half goes on.
  const std::vector<std::string> seeds = {"d1", "d2", "d3"};
  const std::vector<double> a = {0.9, 0.3, 0.3}, b = {0.6, 0.6, 0.6};
  // Arrival order: B's replicates, then A's lucky seed, then A's others.
  auto arrivals = [&](auto report) {
    for (size_t i = 0; i < 3; ++i) report("B", seeds[i], b[i]);
    for (size_t i = 0; i < 3; ++i) report("A", seeds[i], a[i]);
  };
  // Unpaired (every trial its own configuration, as peers decide): A's lucky trial is
  // promoted at once, as the best value seen so far.
  PairedAsha unpaired(1, 2, true);
  for (const auto& s : seeds) {
    unpaired.SetReplicates("A/" + s, {s});
    unpaired.SetReplicates("B/" + s, {s});
  }
  arrivals([&](const std::string& c, const std::string& s, double v) {
    unpaired.Report(c + "/" + s, s, 0, v);
  });
  EXPECT_EQ(unpaired.Decision("A/d1", 0), true) << "the trap the paired rule avoids";
  // Paired: A is decided once all three support sets reported, on its mean: stopped.
  PairedAsha paired(1, 2, true);
  paired.SetReplicates("A", {"d1", "d2", "d3"});
  paired.SetReplicates("B", {"d1", "d2", "d3"});
  arrivals(
      [&](const std::string& c, const std::string& s, double v) { paired.Report(c, s, 0, v); });
  EXPECT_EQ(paired.Decision("B", 0), true);
  EXPECT_EQ(paired.Decision("A", 0), false);
  EXPECT_DOUBLE_EQ(*paired.Mean("A", 0), 0.5);
}

TEST(PairedAshaTest, AReplicateThatFailedForGoodNoLongerHoldsTheDecision) {
  PairedAsha asha(1, 2, true);
  asha.SetReplicates("a", {"d1", "d2"});
  EXPECT_TRUE(asha.Report("a", "d1", 0, 0.7).empty());
  asha.DropReplicate("a", "d2");
  const auto d = asha.DecideReady();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_DOUBLE_EQ(d[0].mean, 0.7);
}

}  // namespace
}  // namespace chromatune::search
