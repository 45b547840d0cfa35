#include "experiments/sweep/plan.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "experiments/sweep/fingerprint.h"
#include "experiments/sweep/trial_key.h"
#include "tests/experiments/sweep/sweep_fixtures.h"

namespace chromatune {
namespace {

using testing::MessageLines;

SweepSpec Spec(const std::string& yaml) {
  auto r = ParseSweep(yaml, "s.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : SweepSpec{};
}

Plan MakePlan(const std::string& yaml, const PlanOptions& options = {}) {
  auto plan = PlanSweep(Spec(yaml), options);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? *plan : Plan{};
}

const std::string kHead =
    "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [0, 1, 2]\n"
    "replicates: {data_seeds: [1, 2, 3], train_seeds: [7, 8]}\n";

TEST(PlanTest, NonTrainingMethodsRunOnceAtShotsZero) {
  // Shots without 0 still give zero-shot its one trial.
  Plan plan = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1, 2]\n"
      "replicates: {data_seeds: [1, 2, 3]}\nmethods: [zero-shot, ensemble]\n");
  ASSERT_EQ(plan.count, 2);
  for (const auto& item : plan.items) {
    EXPECT_EQ(item["shots"], 0);
    EXPECT_EQ(item["data_seed"], 0);
    EXPECT_EQ(item["train_seed"], 0);
  }
  EXPECT_EQ(plan.items[0]["params"]["template"], "a photo of a {}.");
}

TEST(PlanTest, TrainingMethodsRunAtEveryShotAndReplicateInOrder) {
  Plan plan = MakePlan(kHead + "methods: [linear-probe]\n");
  ASSERT_EQ(plan.count, 2 * 3 * 2);  // shots >= 1 x data seeds x train seeds
  std::vector<std::tuple<int64_t, int64_t, int64_t>> order;
  for (const auto& item : plan.items) {
    order.emplace_back(item["shots"], item["data_seed"], item["train_seed"]);
  }
  EXPECT_EQ(order[0], std::make_tuple(1, 1, 7));
  EXPECT_EQ(order[1], std::make_tuple(1, 1, 8));
  EXPECT_EQ(order[2], std::make_tuple(1, 2, 7));
  EXPECT_EQ(order[6], std::make_tuple(2, 1, 7));
  for (size_t i = 0; i < plan.items.size(); ++i) EXPECT_EQ(plan.items[i]["index"], i);
}

TEST(PlanTest, ItemHasEveryFieldAndEveryParameterResolved) {
  Plan plan = MakePlan(kHead +
                       "methods: [coop]\nresources: {ranks: 2}\nretries: 3\n"
                       "priority: 5\nrerun: true\n");
  const auto& item = plan.items.at(0);
  for (const char* field : {"index", "key", "sweep", "task", "dataset", "backbone", "method",
                            "shots", "shot_unit", "data_seed", "train_seed", "params", "resources",
                            "retries", "priority", "rerun", "timeout_ms"}) {
    EXPECT_TRUE(item.contains(field)) << field;
  }
  EXPECT_EQ(item.size(), 17u);
  EXPECT_EQ(item["sweep"], "p");
  EXPECT_EQ(item["backbone"], "builtin:tiny-clip");
  EXPECT_EQ(item["shot_unit"], "per_class");
  EXPECT_EQ(item["resources"], nlohmann::json({{"ranks", 2}}));
  EXPECT_EQ(item["retries"], 3);
  EXPECT_EQ(item["priority"], 5);
  EXPECT_EQ(item["rerun"], true);
  EXPECT_EQ(item["timeout_ms"], 60 * 60 * 1000);  // coop's default: no `timeout:`
  EXPECT_EQ(item["params"],
            nlohmann::json::parse(R"({"batch_size":32,"class_position":"end","csc":false,
              "ctx_len":16,"epochs":50,"init":"","lr":0.002,"momentum":0.9,"optimizer":"sgd",
              "schedule":"cosine","warmup_epochs":1,"warmup_lr":1e-05,"weight_decay":0.0005})"));
  EXPECT_EQ(item["key"].get<std::string>().size(), 64u);
}

TEST(PlanTest, CoopEpochsDefaultToCoopsScheduleByShotCount) {
  Plan plan = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist\n"
      "shots: [16, 1, 2, 4, 8, 3]\nmethods: [coop, finetune, linear-probe]\n");
  std::map<std::string, std::map<int64_t, int64_t>> epochs;
  for (const auto& item : plan.items) {
    epochs[item["method"]][item["shots"]] = item["params"]["epochs"];
  }
  const std::map<int64_t, int64_t> coop = {{1, 50},  {2, 100}, {3, 100},
                                           {4, 100}, {8, 200}, {16, 200}};
  EXPECT_EQ(epochs["coop"], coop);
  EXPECT_EQ(epochs["finetune"], coop);
  EXPECT_EQ(epochs["linear-probe"][3], 200);
  EXPECT_EQ(plan.items[0]["shots"], 16);  // shots in file order
}

TEST(PlanTest, GridOrderFirstCatalogParameterSlowest) {
  Plan plan = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
      "methods:\n  - {name: coop, class_position: [end, front], ctx_len: [4, 8, 16]}\n");
  ASSERT_EQ(plan.count, 6);
  std::vector<std::pair<int64_t, std::string>> order;
  for (const auto& item : plan.items) {
    order.emplace_back(item["params"]["ctx_len"], item["params"]["class_position"]);
  }
  EXPECT_EQ(order,
            (std::vector<std::pair<int64_t, std::string>>{
                {4, "end"}, {4, "front"}, {8, "end"}, {8, "front"}, {16, "end"}, {16, "front"}}));
}

TEST(PlanTest, IssueExampleCount) {
  Plan plan = MakePlan(
      "name: fmnist-prompt-vs-finetune\ntask: classification\ndataset: fashion-mnist\n"
      "shots: [0, 1, 2, 4, 8, 16]\nreplicates: {data_seeds: [1, 2, 3], train_seeds: [1]}\n"
      "methods:\n"
      "  - {name: zero-shot, template: \"a photo of a {}.\"}\n"
      "  - {name: ensemble, templates: builtin:clip-7}\n"
      "  - name: coop\n    ctx_len: [4, 16]\n    class_position: [end, middle]\n"
      "    csc: false\n    init: \"a photo of a\"\n    lr: 0.002\n"
      "    epochs: {1: 50, 2: 100, 4: 100, 8: 200, 16: 200}\n"
      "  - {name: linear-probe, lr: 0.01, epochs: 100}\n"
      "  - name: finetune\n    lr: {log_uniform: [1.0e-5, 1.0e-3]}\n    epochs: 50\n"
      "search: {mode: grid}\nresources: {ranks: 1}\nretries: 2\n");
  // zero-shot 1 + ensemble 1 + coop 2*2*5*3 + linear-probe 5*3 + finetune 5*3 (one draw).
  EXPECT_EQ(plan.count, 1 + 1 + 60 + 15 + 15);
  int coop_at_8 = 0;
  for (const auto& item : plan.items) {
    if (item["method"] == "coop" && item["shots"] == 8) {
      EXPECT_EQ(item["params"]["epochs"], 200);
      ++coop_at_8;
    }
    if (item["method"] == "finetune") {
      const double lr = item["params"]["lr"];
      EXPECT_GE(lr, 1e-5);
      EXPECT_LE(lr, 1e-3);
    }
  }
  EXPECT_EQ(coop_at_8, 2 * 2 * 3);
  EXPECT_EQ(CountPlanUpperBound(Spec("name: fmnist-prompt-vs-finetune\ntask: classification\n"
                                     "dataset: fashion-mnist\nshots: [0, 1, 2, 4, 8, 16]\n"
                                     "replicates: {data_seeds: [1, 2, 3]}\n"
                                     "methods: [zero-shot, linear-probe]\n")),
            1 + 15);
}

TEST(PlanTest, GridDrawsDistributionsSamplesTimesPerPoint) {
  Plan plan = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
      "search: {mode: grid, samples: 3, seed: 9}\n"
      "methods:\n  - {name: finetune, epochs: [10, 20], lr: {uniform: [0.1, 0.2]}}\n"
      "  - {name: linear-probe, epochs: [10, 20]}\n");
  // finetune: 2 grid points x 3 draws; linear-probe has no distribution: 2.
  ASSERT_EQ(plan.count, 8);
  std::set<double> lrs;
  for (int i = 0; i < 6; ++i) lrs.insert(plan.items[i]["params"]["lr"].get<double>());
  EXPECT_EQ(lrs.size(), 6u);
}

TEST(PlanTest, RandomSearchIsSeededAndDeterministic) {
  const std::string yaml =
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1, 2]\n"
      "replicates: {data_seeds: [1, 2]}\nsearch: {mode: random, samples: 4, seed: 3}\n"
      "methods:\n  - name: coop\n    ctx_len: {int_uniform: [1, 64]}\n"
      "    lr: {log_uniform: [0.0001, 0.1]}\n    class_position: [end, middle, front]\n";
  Plan a = MakePlan(yaml);
  Plan b = MakePlan(yaml);
  ASSERT_EQ(a.count, 4 * 2 * 2);  // each draw runs at every shot count and replicate
  EXPECT_EQ(a.items, b.items);
  std::set<std::string> settings;
  for (const auto& item : a.items) {
    const int64_t ctx = item["params"]["ctx_len"];
    EXPECT_GE(ctx, 1);
    EXPECT_LE(ctx, 64);
    nlohmann::json drawn = item["params"];
    drawn.erase("epochs");  // CoOp's schedule: differs by shot count within a draw
    settings.insert(drawn.dump());
  }
  EXPECT_EQ(settings.size(), 4u);
  // Consecutive items of one draw share its parameters.
  EXPECT_EQ(a.items[0]["params"]["lr"], a.items[3]["params"]["lr"]);
  EXPECT_EQ(a.items[0]["params"]["ctx_len"], a.items[3]["params"]["ctx_len"]);
  Plan other_seed = MakePlan(yaml.substr(0, yaml.find("seed: 3")) + "seed: 4}\n" +
                             yaml.substr(yaml.find("methods:")));
  EXPECT_NE(other_seed.items[0]["params"], a.items[0]["params"]);
}

TEST(PlanTest, AddingAMethodLeavesOtherMethodsDrawsAlone) {
  const std::string head =
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
      "search: {mode: random, samples: 3, seed: 1}\nmethods:\n";
  const std::string ft = "  - {name: finetune, lr: {uniform: [0.1, 0.2]}}\n";
  Plan one = MakePlan(head + ft);
  Plan two = MakePlan(head + ft + "  - {name: linear-probe, lr: {uniform: [0.1, 0.2]}}\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(one.items[i]["params"], two.items[i]["params"]);
}

TEST(PlanTest, DuplicateTrialsAppearOnce) {
  // Random draws over a two-value space repeat; a method listed twice repeats.
  Plan random = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
      "search: {mode: random, samples: 50}\n"
      "methods:\n  - {name: coop, csc: [true, false]}\n");
  EXPECT_EQ(random.count, 2);
  Plan twice = MakePlan(kHead + "methods: [zero-shot, zero-shot]\n");
  EXPECT_EQ(twice.count, 1);
  std::set<std::string> keys;
  for (const auto& item : random.items) keys.insert(item["key"].get<std::string>());
  EXPECT_EQ(keys.size(), 2u);
}

TEST(PlanTest, CptZeroShotAndFewShotByEpochs) {
  Plan plan = MakePlan(
      "name: g\ntask: grounding\ndataset: fashion-ref\nshots: [0, 1, 2]\n"
      "replicates: {data_seeds: [1, 2, 3, 4, 5]}\n"
      "methods:\n  - {name: cpt, color: [red, blue], epochs: [0, 5]}\n  - red-circle\n");
  // Each colour: epochs 0 once at shots 0; epochs 5 at 2 shot counts x 5 data seeds.
  EXPECT_EQ(plan.count, 2 * (1 + 2 * 5) + 1);
  EXPECT_EQ(plan.items[0]["params"]["epochs"], 0);
  EXPECT_EQ(plan.items[0]["shots"], 0);
  EXPECT_EQ(plan.items[1]["params"]["epochs"], 5);
  EXPECT_EQ(plan.items[1]["shots"], 1);
  EXPECT_EQ(plan.items[0]["shot_unit"], "total");
  EXPECT_EQ(plan.items[0]["params"]["color"],
            nlohmann::json::parse(R"({"name":"red","rgb":[250,0,45]})"));
  EXPECT_EQ(CountPlanUpperBound(Spec("name: g\ntask: grounding\ndataset: fashion-ref\n"
                                     "shots: [0, 1, 2]\nreplicates: {data_seeds: [1, 2, 3, 4, 5]}\n"
                                     "methods:\n  - {name: cpt, color: [red, blue], "
                                     "epochs: [0, 5]}\n  - red-circle\n")),
            plan.count);
}

TEST(PlanTest, CptPaletteColourNamesResolveToRgb) {
  Plan plan = MakePlan(
      "name: g\ntask: grounding\ndataset: fashion-ref\nshots: 0\n"
      "methods:\n  - {name: cpt, palette: cpt-5, alpha: 0.5}\n");
  ASSERT_EQ(plan.count, 1);
  const auto& params = plan.items[0]["params"];
  EXPECT_TRUE(params["color"].is_null());
  EXPECT_EQ(params["palette"][1], nlohmann::json::parse(R"({"name":"purple","rgb":[140,70,165]})"));
  EXPECT_EQ(params["alpha"], 0.5);
}

TEST(PlanTest, NoopPlannedLikeATrainingMethod) {
  Plan plan = MakePlan(kHead + "methods:\n  - {name: noop, sleep_ms: 50, value: [0.25, 0.75]}\n");
  EXPECT_EQ(plan.count, 2 * 2 * 3 * 2);
  EXPECT_EQ(
      plan.items[0]["params"],
      nlohmann::json::parse(
          R"({"array_size":0,"epochs":1,"fail":"none","rate":0.0,"sleep_ms":50,"value":0.25})"));
}

TEST(PlanTest, PerSettingProblemsAreCollected) {
  auto spec = Spec(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
      "methods:\n  - {name: coop, ctx_len: [2, 8], init: 'a photo of a'}\n"
      "  - {name: coop, ctx_len: 3, init: 'a photo of a'}\n");
  auto plan = PlanSweep(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(MessageLines(plan.status()),
            (std::vector<std::string>{
                "s.yaml:6:41: methods[0].init: \"a photo of a\" has 4 words, more than ctx_len 2 "
                "context vectors to initialise",
                "s.yaml:7:36: methods[1].init: \"a photo of a\" has 4 words, more than ctx_len 3 "
                "context vectors to initialise",
            }));
  auto cpt = Spec(
      "name: g\ntask: grounding\ndataset: fashion-ref\nshots: [1]\n"
      "methods:\n  - {name: cpt, epochs: [0, 3], lr: {1: 0.1}}\n");
  auto cpt_plan = PlanSweep(cpt);
  ASSERT_FALSE(cpt_plan.ok());
  EXPECT_EQ(cpt_plan.status().message(),
            "s.yaml:6:37: methods[0].lr: a per-shot map needs a setting that trains; cpt with "
            "epochs 0 runs once at shots 0");
}

TEST(PlanTest, RefusesAboveTheLimitUnlessForced) {
  const std::string yaml =
      "name: big\ntask: classification\ndataset: fashion-mnist\nshots: [1, 2, 4, 8, 16]\n"
      "replicates: {data_seeds: [1, 2, 3, 4, 5], train_seeds: [1, 2]}\n"
      "methods:\n  - {name: noop, sleep_ms: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "
      "value: [0.1, 0.2, 0.3, 0.4, 0.5]}\n";
  SweepSpec spec = Spec(yaml);
  EXPECT_EQ(CountPlanUpperBound(spec), 5 * 5 * 2 * 10 * 5);
  PlanOptions small;
  small.max_trials = 2499;
  auto refused = PlanSweep(spec, small);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "s.yaml: sweep \"big\" plans 2,500 trials, more than the limit of 2,499; pass "
            "--force to plan it anyway");
  small.force = true;
  auto forced = PlanSweep(spec, small);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->count, 2500);
  small.force = false;
  small.max_trials = 2500;
  EXPECT_TRUE(PlanSweep(spec, small).ok());
}

TEST(PlanTest, TheDefaultLimitIsOneMillionAndCountsDoNotOverflow) {
  EXPECT_EQ(kMaxPlanTrials, 1000000);
  std::string values = "[";
  for (int i = 1; i <= 1000; ++i) values += (i > 1 ? ", " : "") + std::to_string(i);
  values += "]";
  SweepSpec spec = Spec(
      "name: huge\ntask: classification\ndataset: fashion-mnist\n"
      "shots: 1\nmethods:\n  - {name: noop, sleep_ms: " +
      values + ", value: [0.1, 0.2]}\n  - {name: finetune, epochs: " + values +
      ", batch_size: " + values + "}\n");
  EXPECT_GT(CountPlanUpperBound(spec), 1000000);
  auto refused = PlanSweep(spec);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("more than the limit of 1,000,000"), std::string::npos);
}

TEST(PlanTest, KeysIgnoreSweepNameAndResources) {
  Plan a = MakePlan(kHead + "methods: [linear-probe]\n");
  Plan b = MakePlan(
      "name: other\ntask: classification\ndataset: fashion-mnist\n"
      "shots: [1, 2]\nreplicates: {data_seeds: [1, 2, 3], train_seeds: [7, 8]}\n"
      "methods: [linear-probe]\nresources: {ranks: 4}\npriority: 9\nretries: 0\n");
  ASSERT_EQ(a.count, b.count);
  for (size_t i = 0; i < a.items.size(); ++i) EXPECT_EQ(a.items[i]["key"], b.items[i]["key"]);
  Plan shifted = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist-shift\n"
      "shots: [1, 2]\nreplicates: {data_seeds: [1, 2, 3], train_seeds: [7, 8]}"
      "\nmethods: [linear-probe]\n");
  EXPECT_NE(a.items[0]["key"], shifted.items[0]["key"]);
}

// Precision is part of the key when not fp32; fp32 items carry no field, so the keys of
// sweeps written before precision existed are unchanged.
TEST(PlanTest, PrecisionEntersItemAndKeyOnlyWhenReduced) {
  Plan plain = MakePlan(kHead + "methods: [linear-probe]\n");
  Plan fp32 = MakePlan(kHead + "methods: [linear-probe]\nprecision: fp32\n");
  Plan bf16 = MakePlan(kHead + "methods: [linear-probe]\nprecision: bf16\n");
  ASSERT_EQ(plain.count, bf16.count);
  for (size_t i = 0; i < plain.items.size(); ++i) {
    EXPECT_FALSE(plain.items[i].contains("precision"));
    EXPECT_FALSE(fp32.items[i].contains("precision"));
    EXPECT_EQ(plain.items[i]["key"], fp32.items[i]["key"]);
    EXPECT_EQ(bf16.items[i]["precision"], "bf16");
    EXPECT_NE(plain.items[i]["key"], bf16.items[i]["key"]);
  }
  auto bad = ParseSweep(kHead + "methods: [linear-probe]\nprecision: fp8\n", "s.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("precision"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("fp16"), std::string::npos) << bad.status().message();
}

TEST(PlanTest, MissingFilesAtPlanTimeNameTheFile) {
  testing::TempDir dir;
  const std::string model = dir.Write("m.pt", "x");
  SweepSpec spec = Spec(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: 1\n"
      "backbone: torchscript:" +
      model + "\nmethods: [zero-shot]\n");
  std::filesystem::remove(model);
  auto plan = PlanSweep(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kNotFound);
  EXPECT_NE(plan.status().message().find(model), std::string::npos);
}

TEST(PlanTest, ExampleSweepsAreValid) {
  // Tests run in the source root.
  for (const auto& [file, trials] : std::vector<std::pair<std::string, int64_t>>{
           {"experiments/sweeps/example-classification.yaml", 1 + 1 + 15 + 15 + 15},
           {"experiments/sweeps/example-grounding.yaml", 6 + 1 + 25 + 1 + 25}}) {
    auto spec = ParseSweepFile(file);
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    auto plan = PlanSweep(*spec);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(plan->count, trials) << file;
  }
}

TEST(PlanTest, PlanToJson) {
  Plan plan = MakePlan(kHead + "methods: [zero-shot]\n");
  auto j = PlanToJson(plan);
  EXPECT_EQ(j["sweep"], "p");
  EXPECT_EQ(j["trials"], 1);
  EXPECT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0], plan.items[0]);
  EXPECT_EQ(PlanJsonText(plan), j.dump());
  Plan empty;
  empty.name = "e";
  EXPECT_EQ(PlanJsonText(empty), PlanToJson(empty).dump());
}

// Backbone seeds: each trial, trained or not, runs once per pretraining seed (outermost of
// the replicates); the seed enters the item and its key, and without backbone_seeds the
// items carry no field and keep their keys.
TEST(PlanTest, BackboneSeedsReplicateEveryTrialAndEnterTheKey) {
  const std::string methods = "methods: [zero-shot, linear-probe]\n";
  Plan plain = MakePlan(kHead + methods);
  Plan seeded = MakePlan(
      "name: p\ntask: classification\ndataset: fashion-mnist\nshots: [0, 1, 2]\n"
      "replicates: {backbone_seeds: [5, 6], data_seeds: [1, 2, 3], train_seeds: [7, 8]}\n" +
      methods);
  ASSERT_EQ(plain.count, 1 + 2 * 3 * 2);
  ASSERT_EQ(seeded.count, 2 * plain.count);
  EXPECT_EQ(CountPlanUpperBound(Spec(kHead + methods)), plain.count);
  for (const auto& item : plain.items) EXPECT_FALSE(item.contains("backbone_seed"));
  // Order: zero-shot per backbone seed, then per shot count: backbone, data, train seeds.
  std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>> order;
  for (const auto& item : seeded.items) {
    order.emplace_back(item["shots"], item["backbone_seed"], item["data_seed"], item["train_seed"]);
  }
  EXPECT_EQ(order[0], std::make_tuple(0, 5, 0, 0));
  EXPECT_EQ(order[1], std::make_tuple(0, 6, 0, 0));
  EXPECT_EQ(order[2], std::make_tuple(1, 5, 1, 7));
  EXPECT_EQ(order[7], std::make_tuple(1, 5, 3, 8));
  EXPECT_EQ(order[8], std::make_tuple(1, 6, 1, 7));
  EXPECT_EQ(order[14], std::make_tuple(2, 5, 1, 7));
  // Keys: distinct per backbone seed, each equal to TrialKey with the seeded fingerprint,
  // and none equal to a key of the plan without backbone seeds.
  std::set<std::string> keys;
  std::set<std::string> plain_keys;
  for (const auto& item : plain.items) plain_keys.insert(item["key"].get<std::string>());
  for (const auto& item : seeded.items) {
    keys.insert(item["key"].get<std::string>());
    EXPECT_EQ(plain_keys.count(item["key"].get<std::string>()), 0u);
  }
  EXPECT_EQ(keys.size(), seeded.items.size());
  const nlohmann::json& first = seeded.items[2];
  TrialFingerprints fingerprints;
  fingerprints.backbone = *BackboneFingerprint("builtin:tiny-clip?seed=5");
  fingerprints.dataset = *DatasetFingerprint("fashion-mnist");
  EXPECT_EQ(first["key"], TrialKey(first, fingerprints));
  fingerprints.backbone = *BackboneFingerprint("builtin:tiny-clip");
  EXPECT_NE(first["key"], TrialKey(first, fingerprints));
}

}  // namespace
}  // namespace chromatune
