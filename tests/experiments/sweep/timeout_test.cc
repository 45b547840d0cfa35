// `timeout:` (docs/sweeps.md, "Timeouts"): the duration syntax, the sweep field, the plan
// item's timeout_ms with its method default, and the trial key it stays out of.
#include <gtest/gtest.h>

#include "experiments/sweep/duration.h"
#include "experiments/sweep/method_catalog.h"
#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

namespace chromatune {
namespace {

TEST(DurationTest, ReadsUnitsLargestFirst) {
  EXPECT_EQ(*ParseTimeoutMs("90s"), 90000);
  EXPECT_EQ(*ParseTimeoutMs("30m"), 1800000);
  EXPECT_EQ(*ParseTimeoutMs("1h30m"), 5400000);
  EXPECT_EQ(*ParseTimeoutMs("1.5h"), 5400000);
  EXPECT_EQ(*ParseTimeoutMs("2d"), 172800000);
  EXPECT_EQ(*ParseTimeoutMs("1m0.5s"), 60500);
  EXPECT_EQ(*ParseTimeoutMs("none"), 0);
}

TEST(DurationTest, RefusesWhatIsNotADurationSayingWhy) {
  auto message = [](const std::string& text) {
    auto r = ParseTimeoutMs(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(message("30").find("\"30\" has no unit"), std::string::npos);
  EXPECT_NE(message("30x").find("unknown unit 'x'"), std::string::npos);
  EXPECT_NE(message("30s1m").find("largest first"), std::string::npos);
  EXPECT_NE(message("1m1m").find("largest first"), std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message("m").find("expected a number"), std::string::npos);
  EXPECT_NE(message("1..5s").find("not a number"), std::string::npos);
  EXPECT_NE(message("0.5s").find("at least 1s"), std::string::npos);
  EXPECT_NE(message("8d").find("at most 7d"), std::string::npos);
}

TEST(DurationTest, FormatsWhatItReadsBack) {
  for (int64_t ms : {1000, 1500, 90000, 1800000, 5400000, 172800000, 60500, 86461001}) {
    const std::string text = FormatDurationMs(ms);
    auto back = ParseTimeoutMs(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().message();
    EXPECT_EQ(*back, ms) << text;
  }
  EXPECT_EQ(FormatDurationMs(5400000), "1h30m");
  EXPECT_EQ(FormatDurationMs(1500), "1.5s");
  EXPECT_EQ(FormatDurationMs(0), "none");
}

const std::string kSweep =
    "name: t\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
    "methods: [noop, linear-probe, finetune]\n";

Plan PlanOf(const std::string& yaml) {
  auto spec = ParseSweep(yaml, "t.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (!spec.ok()) return {};
  auto plan = PlanSweep(*spec);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? *plan : Plan{};
}

TEST(SweepTimeoutTest, EachItemGetsTheSweepsTimeoutOrItsMethodsDefault) {
  Plan defaults = PlanOf(kSweep);
  ASSERT_EQ(defaults.items.size(), 3u);
  for (const auto& item : defaults.items) {
    EXPECT_EQ(item["timeout_ms"], MethodDefaultTimeoutMs(item["method"].get<std::string>()))
        << item["method"];
  }
  EXPECT_LT(MethodDefaultTimeoutMs("noop"), MethodDefaultTimeoutMs("linear-probe"));
  EXPECT_LT(MethodDefaultTimeoutMs("linear-probe"), MethodDefaultTimeoutMs("finetune"));
  for (const auto& item : PlanOf(kSweep + "timeout: 45m\n").items) {
    EXPECT_EQ(item["timeout_ms"], 45 * 60 * 1000);
  }
  for (const auto& item : PlanOf(kSweep + "timeout: none\n").items) {
    EXPECT_EQ(item["timeout_ms"], 0);
  }
}

TEST(SweepTimeoutTest, TheTimeoutStaysOutOfTheTrialKey) {
  Plan a = PlanOf(kSweep);
  Plan b = PlanOf(kSweep + "timeout: 3m\n");
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_NE(a.items[i]["timeout_ms"], b.items[i]["timeout_ms"]);
    EXPECT_EQ(a.items[i]["key"], b.items[i]["key"]);
  }
}

TEST(SweepTimeoutTest, ABadTimeoutIsReportedAtItsLine) {
  auto bad = ParseSweep(kSweep + "timeout: 30\n", "t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.yaml:6:10: timeout: \"30\" is not a duration: "
                                        "\"30\" has no unit"),
            std::string::npos)
      << bad.status().message();
  auto nested = ParseSweep(kSweep + "timeout: {minutes: 3}\n", "t.yaml");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("timeout: expected a duration such as 30m"),
            std::string::npos)
      << nested.status().message();
}

}  // namespace
}  // namespace chromatune
