// The sweep file's search and objective fields (docs/sweeps.md, "Search") and what the plan
// writes for adaptive search: TPE slots, ASHA's epochs and rungs.
#include <gtest/gtest.h>

#include <set>

#include "experiments/search/item_search.h"
#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

namespace chromatune {
namespace {

const std::string kHead =
    "name: s\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
    "replicates: {data_seeds: [1, 2], train_seeds: [1]}\n";

std::string Errors(const std::string& yaml) {
  auto spec = ParseSweep(yaml, "s.yaml");
  return spec.ok() ? "" : spec.status().message();
}

TEST(SearchSpecTest, SchedulerAndObjectiveParse) {
  auto spec =
      ParseSweep(kHead +
                     "methods: [{name: noop, value: [0.1, 0.2]}]\n"
                     "search: {mode: tpe, samples: 4, seed: 3, n_startup: 2,\n"
                     "         scheduler: {name: asha, resource: epochs, min: 2, max: 18}}\n"
                     "objective: {metric: loss, mode: min}\n",
                 "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->search_mode, SearchMode::kTpe);
  EXPECT_EQ(spec->n_startup, 2);
  EXPECT_TRUE(spec->scheduler.asha);
  EXPECT_EQ(spec->scheduler.min, 2);
  EXPECT_EQ(spec->scheduler.max, 18);
  EXPECT_EQ(spec->scheduler.eta, 3);
  EXPECT_EQ(spec->objective.metric, "loss");
  EXPECT_FALSE(spec->objective.maximize);
  EXPECT_TRUE(spec->warnings.empty());
}

TEST(SearchSpecTest, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(Errors(kHead + "methods: [noop]\nsearch: {mode: tpe}\n"),
            "s.yaml:7:9: search.samples: required when search.mode is tpe");
  EXPECT_EQ(Errors(kHead + "methods: [noop]\nsearch: {scheduler: {name: asha, min: 3}}\n"),
            "s.yaml:7:21: search.scheduler.max: missing required field: the epochs of a full run "
            "(it replaces the methods' epochs)");
  EXPECT_EQ(Errors(kHead + "methods: [noop]\nsearch: {scheduler: {name: asha, min: 9, max: 9}}\n"),
            "s.yaml:7:39: search.scheduler.min: must be below max (9): the first rung stops "
            "configurations before the full run");
  EXPECT_NE(Errors(kHead + "methods: [noop]\nsearch: {scheduler: {name: hyperband, max: 9}}\n")
                .find("s.yaml:7:28: search.scheduler.name: expected one of asha"),
            std::string::npos);
  EXPECT_NE(Errors(kHead + "methods: [noop]\nsearch: {scheduler: {name: asha, max: 9, eta: 1}}\n")
                .find("s.yaml:7:47: search.scheduler.eta: must be >= 2"),
            std::string::npos);
  EXPECT_NE(Errors(kHead +
                   "methods: [noop]\nsearch: {scheduler: {name: asha, max: 9, resource: steps}}\n")
                .find("s.yaml:7:52: search.scheduler.resource: expected one of epochs"),
            std::string::npos);
  EXPECT_EQ(Errors(kHead + "methods:\n  - {name: noop, epochs: 5}\n"
                           "search: {scheduler: {name: asha, max: 9}}\n"),
            "s.yaml:7:26: methods[0].epochs: search.scheduler.max (9) replaces the epochs of every "
            "method that trains; remove epochs here");
  EXPECT_NE(Errors(kHead + "methods: [noop]\nobjective: {metric: acc, mode: up}\n")
                .find("s.yaml:7:32: objective.mode: expected one of max, min"),
            std::string::npos);
  EXPECT_NE(Errors(kHead + "methods: [noop]\nobjective: {metrc: acc}\n")
                .find("s.yaml:7:13: objective.metrc: unknown field (did you mean \"metric\"?)"),
            std::string::npos);
}

TEST(SearchSpecTest, TheDefaultObjectiveIsValidationAccuracyOrAWarning) {
  auto test =
      ParseSweep(kHead + "methods: [noop]\nsearch: {scheduler: {name: asha, max: 9}}\n", "s.yaml");
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->objective.metric, "accuracy");
  ASSERT_EQ(test->warnings.size(), 1u);
  EXPECT_NE(test->warnings[0].find("tuning on the data it reports"), std::string::npos);
  auto val = ParseSweep(
      "name: s\ntask: classification\nshots: [1]\n"
      "dataset: {source: fashion-mnist, eval: {split: [val, test]}}\n"
      "methods: [noop]\nsearch: {scheduler: {name: asha, max: 9}}\n",
      "s.yaml");
  ASSERT_TRUE(val.ok()) << val.status().ToString();
  EXPECT_EQ(val->objective.metric, "accuracy/val");
  EXPECT_TRUE(val->warnings.empty());
  // Grid and random search without a scheduler optimise nothing: no warning.
  auto grid = ParseSweep(kHead + "methods: [noop]\n", "s.yaml");
  ASSERT_TRUE(grid.ok());
  EXPECT_TRUE(grid->warnings.empty());
}

Plan PlanOf(const std::string& yaml) {
  auto spec = ParseSweep(yaml, "s.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  auto plan = PlanSweep(*spec);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : Plan{};
}

TEST(SearchPlanTest, AshaRunsMaxEpochsAndCarriesItsRungsAndGroups) {
  Plan plan = PlanOf(kHead +
                     "methods:\n  - {name: noop, value: [0.1, 0.2]}\n  - zero-shot\n"
                     "search: {scheduler: {name: asha, min: 1, max: 27}}\n");
  ASSERT_EQ(plan.count, 5);  // 2 settings x 2 data seeds, + zero-shot once
  for (int i = 0; i < 4; ++i) {
    const auto& item = plan.items[i];
    EXPECT_EQ(item["params"]["epochs"], 27);
    auto s = search::ItemSearchOf(item);
    ASSERT_TRUE(s.ok() && s->has_value());
    EXPECT_EQ((*s)->rungs, (std::vector<int64_t>{1, 3, 9}));
    EXPECT_EQ((*s)->unit, "0:noop@1");
    EXPECT_EQ((*s)->config, "0:noop@1/" + std::to_string(i / 2));  // replicates share it
  }
  EXPECT_FALSE(plan.items[4].contains("search"));  // zero-shot trains nothing
}

TEST(SearchPlanTest, TpeSlotsLeaveSearchedParametersOutAndHaveTheirOwnKeys) {
  const std::string body =
      "methods:\n  - {name: noop, value: {uniform: [0, 1]}, sleep_ms: 7}\n"
      "search: {mode: tpe, samples: 3, seed: 5}\n";
  Plan plan = PlanOf(kHead + body);
  ASSERT_EQ(plan.count, 6);
  std::set<std::string> keys;
  for (const auto& item : plan.items) {
    EXPECT_FALSE(item["params"].contains("value"));
    EXPECT_EQ(item["params"]["sleep_ms"], 7);
    auto s = search::ItemSearchOf(item);
    ASSERT_TRUE(s.ok() && s->has_value());
    EXPECT_TRUE((*s)->tpe());
    ASSERT_EQ((*s)->space.dims.size(), 1u);
    EXPECT_EQ((*s)->space.dims[0].name, "value");
    keys.insert(item["key"].get<std::string>());
  }
  EXPECT_EQ(keys.size(), 6u);
  // Another sweep's slots are other trials (never reused: their configuration comes later).
  Plan other = PlanOf("name: t\n" + kHead.substr(kHead.find('\n') + 1) + body);
  EXPECT_NE(other.items[0]["key"], plan.items[0]["key"]);
  // The same sweep plans the same keys (a resubmission keeps its trials).
  EXPECT_EQ(PlanOf(kHead + body).items[0]["key"], plan.items[0]["key"]);
}

}  // namespace
}  // namespace chromatune
