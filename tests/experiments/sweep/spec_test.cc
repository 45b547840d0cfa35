#include "experiments/sweep/spec.h"

#include <gtest/gtest.h>

#include "tests/experiments/sweep/sweep_fixtures.h"

namespace chromatune {
namespace {

using testing::ClassificationHead;
using testing::MessageLines;
using testing::TempDir;

// The issue's example, verbatim.
const char* kIssueExample = R"(name: fmnist-prompt-vs-finetune
task: classification              # classification | grounding
dataset: fashion-mnist            # fashion-mnist | fashion-mnist-shift | fashion-ref | coop-split:PATH | refexp:PATH
backbone: builtin:tiny-clip       # builtin:tiny-clip | builtin:tiny-fusion | torchscript:PATH
shots: [0, 1, 2, 4, 8, 16]
shot_unit: per_class              # per_class (CoOp) | total (CPT)
replicates: {data_seeds: [1, 2, 3], train_seeds: [1]}
methods:
  - {name: zero-shot, template: "a photo of a {}."}
  - {name: ensemble, templates: builtin:clip-7}
  - name: coop
    ctx_len: [4, 16]
    class_position: [end, middle]
    csc: false
    init: "a photo of a"
    lr: 0.002
    epochs: {1: 50, 2: 100, 4: 100, 8: 200, 16: 200}
  - {name: linear-probe, lr: 0.01, epochs: 100}
  - name: finetune
    lr: {log_uniform: [1.0e-5, 1.0e-3]}
    epochs: 50
search: {mode: grid}              # grid | random (samples: N, seed: S)
resources: {ranks: 1}
retries: 2
)";

std::vector<std::string> Errors(const std::string& yaml) {
  auto r = ParseSweep(yaml, "s.yaml");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return MessageLines(r.status());
}

std::string OnlyError(const std::string& yaml) {
  auto lines = Errors(yaml);
  EXPECT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  return lines.empty() ? "" : lines.front();
}

TEST(SpecTest, IssueExampleParsesWithDefaultsFilled) {
  auto r = ParseSweep(kIssueExample, "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const SweepSpec& s = *r;
  EXPECT_EQ(s.name, "fmnist-prompt-vs-finetune");
  EXPECT_EQ(s.task, "classification");
  EXPECT_EQ(s.dataset, "fashion-mnist");
  EXPECT_EQ(s.shots, (std::vector<int64_t>{0, 1, 2, 4, 8, 16}));
  EXPECT_EQ(s.data_seeds, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(s.train_seeds, (std::vector<int64_t>{1}));
  ASSERT_EQ(s.methods.size(), 5u);
  const MethodSpec& coop = s.methods[2];
  EXPECT_EQ(coop.name, "coop");
  EXPECT_EQ(coop.index, 2);
  EXPECT_EQ(coop.params.at("ctx_len").kind, ParamSetting::Kind::kSweep);
  EXPECT_EQ(coop.params.at("epochs").kind, ParamSetting::Kind::kPerShot);
  EXPECT_TRUE(coop.params.at("batch_size").is_default);
  EXPECT_EQ(coop.params.at("optimizer").values[0], "sgd");
  EXPECT_EQ(coop.params.at("schedule").values[0], "cosine");
  EXPECT_EQ(coop.params.at("ctx_len").mark.line, 12);
  EXPECT_EQ(s.retries, 2);
  EXPECT_EQ(s.ranks, 1);
  EXPECT_EQ(s.yaml_text, kIssueExample);
}

TEST(SpecTest, TopLevelDefaults) {
  auto r = ParseSweep("name: g\ntask: grounding\ndataset: fashion-ref\nshots: 0\nmethods: [cpt]\n",
                      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->backbone, "builtin:tiny-clip");
  EXPECT_EQ(r->shot_unit, "total");  // grounding: CPT's convention
  EXPECT_EQ(r->data_seeds, (std::vector<int64_t>{1}));
  EXPECT_EQ(r->train_seeds, (std::vector<int64_t>{1}));
  EXPECT_EQ(r->search_mode, SearchMode::kGrid);
  EXPECT_EQ(r->samples, 1);
  EXPECT_EQ(r->retries, 2);
  EXPECT_EQ(r->priority, 0);
  EXPECT_FALSE(r->rerun);
  const auto& cpt = r->methods.at(0).params;
  EXPECT_EQ(cpt.at("color").values[0], nlohmann::json::parse(R"({"name":"red","rgb":[240,0,30]})"));
  EXPECT_DOUBLE_EQ(cpt.at("alpha").values[0].get<double>(), 127.0 / 255.0);
  EXPECT_EQ(cpt.at("template").values[0], "{query} is in [MASK] color.");
  EXPECT_EQ(cpt.at("marker").values[0], "block");
  EXPECT_TRUE(cpt.at("palette").values[0].is_null());
  auto c = ParseSweep(ClassificationHead() + "methods: [zero-shot]\n", "s.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->shot_unit, "per_class");  // classification: CoOp's convention
}

TEST(SpecTest, EveryTopLevelFieldSet) {
  auto r = ParseSweep(
      "name: all.fields_1\ntask: classification\ndataset: fashion-mnist-shift\n"
      "backbone: builtin:tiny-fusion\nshots: 4\nshot_unit: total\n"
      "replicates: {data_seeds: 7, train_seeds: [1, 2]}\nmethods: [noop]\n"
      "search: {mode: random, samples: 5, seed: 42}\nresources: {ranks: 4}\nretries: 0\n"
      "priority: -3\nrerun: true\n",
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->backbone, "builtin:tiny-fusion");
  EXPECT_EQ(r->shots, (std::vector<int64_t>{4}));
  EXPECT_EQ(r->shot_unit, "total");
  EXPECT_EQ(r->data_seeds, (std::vector<int64_t>{7}));
  EXPECT_EQ(r->search_mode, SearchMode::kRandom);
  EXPECT_EQ(r->samples, 5);
  EXPECT_EQ(r->search_seed, 42u);
  EXPECT_EQ(r->ranks, 4);
  EXPECT_EQ(r->retries, 0);
  EXPECT_EQ(r->priority, -3);
  EXPECT_TRUE(r->rerun);
}

TEST(SpecTest, NotYamlEmptyOrNotAMapping) {
  auto bad = ParseSweep("name: [unclosed\n", "s.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("s.yaml:2:1: not valid YAML:", 0), 0u)
      << bad.status().message();
  auto empty = ParseSweep("", "s.yaml");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("s.yaml: the file is empty"), std::string::npos);
  EXPECT_EQ(OnlyError("- a\n- b\n"),
            "s.yaml:1:1: expected a mapping of sweep fields (name, task, dataset, shots, "
            "methods, ...), got a list");
  EXPECT_EQ(OnlyError("just text\n"),
            "s.yaml:1:1: expected a mapping of sweep fields (name, task, dataset, shots, "
            "methods, ...), got the string \"just text\"");
  std::string binary(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0",
      10);
  EXPECT_FALSE(ParseSweep(binary, "s.yaml").ok());
}

TEST(SpecTest, MissingRequiredFieldsAllReported) {
  auto lines = Errors("retries: 1\n");
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "s.yaml:1:1: name: missing required field",
                       "s.yaml:1:1: task: missing required field",
                       "s.yaml:1:1: dataset: missing required field",
                       "s.yaml:1:1: shots: missing required field",
                       "s.yaml:1:1: methods: missing required field",
                   }));
}

TEST(SpecTest, UnknownKeysWithSuggestions) {
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: [zero-shot]\nretires: 3\n"),
            "s.yaml:6:1: retires: unknown field (did you mean \"retries\"?)");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: [zero-shot]\nsearch: {mod: grid}\n"),
            "s.yaml:6:10: search.mod: unknown field (did you mean \"mode\"?)");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: [zero-shot]\nresources: {gpus: 1}\n"),
            "s.yaml:6:13: resources.gpus: unknown field");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: [zero-shot]\nreplicates: {data_seed: 1}\n"),
            "s.yaml:6:14: replicates.data_seed: unknown field (did you mean \"data_seeds\"?)");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods:\n  - {name: coop, ctx_lenn: 4}\n"),
            "s.yaml:6:18: methods[0].ctx_lenn: unknown parameter of coop (did you mean "
            "\"ctx_len\"?); its parameters: ctx_len, class_position, csc, init, lr, epochs, "
            "batch_size, optimizer, schedule, momentum, weight_decay, warmup_epochs, warmup_lr");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods:\n  - {name: vpt, ctx_len: 4}\n"),
            "s.yaml:6:17: methods[0].ctx_len: unknown parameter of vpt (ctx_len is a parameter "
            "of coop); its parameters: tokens, deep, lr, epochs, batch_size, optimizer, schedule, "
            "momentum, weight_decay");
}

TEST(SpecTest, DuplicateKeys) {
  auto lines =
      Errors(ClassificationHead() + "methods:\n  - {name: coop, lr: 0.1, lr: 0.2}\nname: u\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "s.yaml:6:27: methods[0].lr: duplicate key (first set at line 6)");
  EXPECT_EQ(lines[1], "s.yaml:7:1: name: duplicate key (first set at line 1)");
}

TEST(SpecTest, WrongTypesAndRanges) {
  auto lines = Errors(
      "name: ' edge space'\ntask: classification\ndataset: fashion-mnist\nshots: [0, -1, 2, 2]\n"
      "shot_unit: each\nreplicates: {data_seeds: [], train_seeds: x}\nmethods: [zero-shot]\n"
      "search: {mode: grid, samples: 0}\nresources: {ranks: 0}\nretries: -1\npriority: high\n"
      "rerun: 1\n");
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "s.yaml:1:7: name: a sweep name is 1 to 128 printable characters without "
                       "control characters or leading/trailing spaces, got \" edge space\"",
                       "s.yaml:4:12: shots[1]: must be >= 0 and <= 100000, got -1",
                       "s.yaml:4:19: shots[3]: the value 2 is listed twice",
                       "s.yaml:5:12: shot_unit: expected one of per_class, total, got the "
                       "string \"each\"",
                       "s.yaml:6:26: replicates.data_seeds: an empty list; give at least one "
                       "value",
                       "s.yaml:6:43: replicates.train_seeds: expected an integer, got the string "
                       "\"x\"",
                       "s.yaml:8:31: search.samples: must be >= 1 and <= 1e+06, got 0",
                       "s.yaml:9:20: resources.ranks: must be >= 1 and <= 4096, got 0",
                       "s.yaml:10:10: retries: must be >= 0 and <= 100, got -1",
                       "s.yaml:11:11: priority: expected an integer, got the string \"high\"",
                       "s.yaml:12:8: rerun: expected true or false, got the number 1",
                   }));
}

TEST(SpecTest, RandomSearchNeedsSamples) {
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: [zero-shot]\nsearch: {mode: random}\n"),
            "s.yaml:6:9: search.samples: required when search.mode is random");
}

TEST(SpecTest, UnknownTaskDatasetBackboneAndMismatches) {
  EXPECT_EQ(OnlyError("name: t\ntask: clasification\ndataset: fashion-mnist\nshots: 0\n"
                      "methods: [zero-shot]\n"),
            "s.yaml:2:7: task: expected one of classification, grounding, got the string "
            "\"clasification\" (did you mean \"classification\"?)");
  EXPECT_EQ(OnlyError("name: t\ntask: classification\ndataset: fashion-mnst\nshots: 0\n"
                      "methods: [zero-shot]\n"),
            "s.yaml:3:10: dataset: unknown dataset \"fashion-mnst\" (did you mean "
            "\"fashion-mnist\"?); known: fashion-mnist, fashion-mnist-shift, fashion-ref, "
            "fashion-ref-shift, imagefolder:ROOT, csv:PATH, coop-split:PATH, refexp:PATH");
  EXPECT_EQ(OnlyError("name: t\ntask: classification\ndataset: fashion-ref\nshots: 0\n"
                      "methods: [zero-shot]\n"),
            "s.yaml:3:10: dataset: \"fashion-ref\" is a grounding dataset, but task is "
            "classification");
  EXPECT_EQ(OnlyError(ClassificationHead() + "backbone: builtin:tiny-clp\nmethods: [zero-shot]\n"),
            "s.yaml:5:11: backbone: unknown backbone \"builtin:tiny-clp\" (did you mean "
            "\"builtin:tiny-clip\"?); known: builtin:tiny-clip, builtin:tiny-fusion, "
            "torchscript:PATH, clip:PATH");
}

TEST(SpecTest, PathDatasetsAndBackbonesResolveAgainstTheFile) {
  TempDir dir;
  dir.Write("data/split.json", "{}");
  dir.Write("model.pt", "weights");
  const std::string file =
      dir.Write("sweeps/s.yaml",
                "name: t\ntask: classification\ndataset: coop-split:../data/split.json\n"
                "backbone: torchscript:../model.pt\nshots: 1\nmethods: [zero-shot]\n");
  auto r = ParseSweepFile(file);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->dataset, "coop-split:" + dir.path() + "/data/split.json");
  EXPECT_EQ(r->backbone, "torchscript:" + dir.path() + "/model.pt");
  EXPECT_EQ(r->origin, file);

  const std::string missing =
      dir.Write("sweeps/m.yaml",
                "name: t\ntask: grounding\ndataset: refexp:nope.json\nbackbone: 'torchscript:'\n"
                "shots: 0\nmethods: [cpt]\n");
  auto m = ParseSweepFile(missing);
  ASSERT_FALSE(m.ok());
  auto lines = MessageLines(m.status());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            missing + ":3:10: dataset: file not found: " + dir.path() + "/sweeps/nope.json");
  EXPECT_EQ(lines[1], missing + ":4:11: backbone: torchscript needs a file path after the colon");
}

TEST(SpecTest, ClipBackboneAsStringOrMapping) {
  TempDir dir;
  dir.Write("m/ViT-B-32.pt", "weights");
  dir.Write("m/bpe_simple_vocab_16e6.txt.gz", "vocab");
  dir.Write("v/other.txt.gz", "vocab2");
  const std::string head =
      "name: t\ntask: classification\ndataset: fashion-mnist\nshots: 1\n"
      "methods: [zero-shot]\n";
  // The string form finds the vocabulary beside the checkpoint.
  auto plain = ParseSweepFile(dir.Write("a.yaml", head + "backbone: clip:m/ViT-B-32.pt\n"));
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->backbone, "clip:" + dir.path() + "/m/ViT-B-32.pt?vocab=" + dir.path() +
                                 "/m/bpe_simple_vocab_16e6.txt.gz");
  // The mapping names another vocabulary and open_clip's activation.
  auto mapped = ParseSweepFile(
      dir.Write("b.yaml", head + "backbone: {source: clip:m/ViT-B-32.pt, vocab: v/other.txt.gz, "
                                 "activation: gelu}\n"));
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  EXPECT_EQ(mapped->backbone, "clip:" + dir.path() + "/m/ViT-B-32.pt?vocab=" + dir.path() +
                                  "/v/other.txt.gz&activation=gelu");
  // Errors name the field and what is wrong.
  const std::string typo =
      dir.Write("e.yaml", head + "backbone: {source: clip:m/ViT-B-32.pt, vocb: x}\n");
  auto bad = ParseSweepFile(typo);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MessageLines(bad.status()).front(),
            typo + ":6:40: backbone.vocb: unknown field (did you mean \"vocab\"?)");
  dir.Write("n/model.pt", "weights");
  auto novocab = ParseSweepFile(dir.Write("c.yaml", head + "backbone: clip:n/model.pt\n"));
  ASSERT_FALSE(novocab.ok());
  EXPECT_NE(novocab.status().message().find("no BPE vocabulary: looked for " + dir.path() +
                                            "/n/bpe_simple_vocab_16e6.txt.gz"),
            std::string::npos)
      << novocab.status().message();
  auto device = ParseSweepFile(dir.Write("d.yaml", head + "backbone: clip:/dev/zero\n"));
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.status().message().find(
                "backbone: is not a regular file (a device, FIFO or socket): /dev/zero"),
            std::string::npos)
      << device.status().message();
}

TEST(SpecTest, MissingOrUnreadableFile) {
  auto r = ParseSweepFile("/nonexistent/dir/s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/dir/s.yaml: sweep file not found");
  TempDir dir;
  auto d = ParseSweepFile(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("is a directory"), std::string::npos);
}

TEST(SpecTest, MethodsErrors) {
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: []\n"),
            "s.yaml:5:10: methods: an empty list; give at least one method");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: {name: coop}\n"),
            "s.yaml:5:10: methods: expected a list of methods, got a mapping");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods:\n  - {name: cop}\n"),
            "s.yaml:6:12: methods[0].name: unknown method \"cop\" (did you mean \"coop\"?); "
            "known: zero-shot, ensemble, coop, vpt, pad-prompt, cpt, red-circle, linear-probe, "
            "finetune, noop");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods:\n  - {lr: 0.1}\n"),
            "s.yaml:6:5: methods[0].name: missing method name; one of zero-shot, ensemble, coop, "
            "vpt, pad-prompt, cpt, red-circle, linear-probe, finetune, noop");
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods:\n  - [coop]\n"),
            "s.yaml:6:5: methods[0]: expected a method (a mapping with name and parameters, or "
            "a name), got a list");
}

TEST(SpecTest, MethodTaskFit) {
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods: [zero-shot, cpt]\n"),
            "s.yaml:5:22: methods[1]: method cpt is for grounding, not for task classification");
  EXPECT_EQ(OnlyError("name: g\ntask: grounding\ndataset: fashion-ref\nshots: [0, 1]\n"
                      "methods: [red-circle, {name: coop}]\n"),
            "s.yaml:5:30: methods[1].name: method coop is for classification, not for task "
            "grounding");
}

TEST(SpecTest, CollectsEveryProblemOfTheIssueSample) {
  auto lines = Errors(
      "name: g\ntask: grounding\ndataset: fashion-ref\nshots: [0, 1]\n"
      "methods:\n  - red-circle\n  - {name: finetune}\n"
      "  - name: cpt\n    color: [red, purpel]\n    alpha: 2\n");
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "s.yaml:9:18: methods[2].color[1]: unknown colour \"purpel\" (did you "
                       "mean \"purple\"?)",
                       "s.yaml:10:12: methods[2].alpha: must be >= 0 and <= 1, got 2",
                   }));
}

TEST(SpecTest, PerShotMapsNeedTrainingAndEveryShotCount) {
  EXPECT_EQ(OnlyError(ClassificationHead() + "methods:\n  - {name: coop, epochs: {1: 50}}\n"),
            "s.yaml:6:26: methods[0].epochs: no value for shots 2 (the map has 1)");
  EXPECT_EQ(OnlyError(ClassificationHead() +
                      "methods:\n  - {name: zero-shot, template: {1: 'a {}.', 2: 'a {}.'}}\n"),
            "s.yaml:6:33: methods[0].template: a per-shot map needs a method that trains; "
            "zero-shot runs once at shots 0");
  // Keys beyond the shot list are allowed (CoOp's schedule reused for a subset of shots).
  EXPECT_TRUE(ParseSweep(ClassificationHead() +
                             "methods:\n  - {name: coop, epochs: {1: 50, 2: 100, 16: 200}}\n",
                         "s.yaml")
                  .ok());
}

TEST(SpecTest, TrainingMethodNeedsAShotCount) {
  EXPECT_EQ(OnlyError("name: t\ntask: classification\ndataset: fashion-mnist\nshots: [0]\n"
                      "methods: [zero-shot, linear-probe]\n"),
            "s.yaml:5:22: methods[1]: linear-probe trains, but shots has no count >= 1 to train "
            "at (shots: 0)");
}

TEST(SpecTest, CptColourPaletteAndEpochsRules) {
  const std::string head = "name: g\ntask: grounding\ndataset: fashion-ref\nshots: [0, 1]\n";
  EXPECT_EQ(OnlyError(head + "methods:\n  - {name: cpt, color: red, palette: cpt-5}\n"),
            "s.yaml:6:38: methods[0].palette: set color or palette, not both (line 6 sets "
            "color)");
  auto palette = ParseSweep(head + "methods:\n  - {name: cpt, palette: cpt-5}\n", "s.yaml");
  ASSERT_TRUE(palette.ok()) << palette.status().message();
  EXPECT_TRUE(palette->methods[0].params.at("color").values[0].is_null());
  EXPECT_EQ(palette->methods[0].params.at("palette").values[0].size(), 5u);
  EXPECT_EQ(OnlyError(head + "methods:\n  - {name: cpt, epochs: {1: 0}}\n"),
            "s.yaml:6:25: methods[0].epochs[1]: per-shot epochs must be > 0 (epochs: 0 is "
            "zero-shot CPT, which runs at shots 0 only)");
  EXPECT_EQ(OnlyError(head + "methods:\n  - {name: cpt, lr: {1: 0.1}}\n"),
            "s.yaml:6:21: methods[0].lr: a per-shot map needs a method that trains; cpt with "
            "epochs 0 runs once at shots 0");
  EXPECT_TRUE(
      ParseSweep(head + "methods:\n  - {name: cpt, epochs: 5, lr: {1: 0.1}}\n", "s.yaml").ok());
}

TEST(SpecTest, MethodAsBareName) {
  auto r = ParseSweep(ClassificationHead() + "methods: [zero-shot, ensemble]\n", "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->methods[1].params.at("templates").values[0].size(), 7u);
}

// replicates.backbone_seeds: pretraining runs of a builtin backbone; absent by default.
TEST(SpecTest, BackboneSeedsForBuiltinBackbonesOnly) {
  auto none = ParseSweep(ClassificationHead() + "methods: [zero-shot]\n", "s.yaml");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->backbone_seeds.empty());
  auto seeds = ParseSweep(ClassificationHead() +
                              "backbone: builtin:tiny-fusion\n"
                              "replicates: {backbone_seeds: [3, 1, 2], data_seeds: [1, 2]}\n"
                              "methods: [zero-shot]\n",
                          "s.yaml");
  ASSERT_TRUE(seeds.ok()) << seeds.status().message();
  EXPECT_EQ(seeds->backbone_seeds, (std::vector<int64_t>{3, 1, 2}));  // file order
  EXPECT_EQ(seeds->data_seeds, (std::vector<int64_t>{1, 2}));
  auto one = ParseSweep(
      ClassificationHead() + "replicates: {backbone_seeds: 4}\n" + "methods: [zero-shot]\n",
      "s.yaml");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->backbone_seeds, (std::vector<int64_t>{4}));
  EXPECT_EQ(OnlyError(ClassificationHead() + "replicates: {backbone_seeds: [1, 1]}\n" +
                      "methods: [zero-shot]\n"),
            "s.yaml:5:34: replicates.backbone_seeds[1]: the value 1 is listed twice");
  EXPECT_EQ(OnlyError(ClassificationHead() + "replicates: {backbone_seed: [1]}\n" +
                      "methods: [zero-shot]\n"),
            "s.yaml:5:14: replicates.backbone_seed: unknown field (did you mean "
            "\"backbone_seeds\"?)");
  // A file's weights have no pretraining seed: the error names the field and the backbone.
  TempDir dir;
  dir.Write("m.pt", "weights");
  const std::string file =
      dir.Write("t.yaml", ClassificationHead() + "backbone: torchscript:m.pt\n" +
                              "replicates: {backbone_seeds: [1, 2]}\nmethods: [zero-shot]\n");
  auto scripted = ParseSweepFile(file);
  ASSERT_FALSE(scripted.ok());
  ASSERT_EQ(MessageLines(scripted.status()).size(), 1u) << scripted.status().message();
  EXPECT_EQ(MessageLines(scripted.status()).front(),
            file +
                ":6:30: replicates.backbone_seeds: backbone seeds are pretraining runs of a "
                "builtin backbone (builtin:tiny-clip, builtin:tiny-fusion); torchscript: "
                "backbones are the weights of a file: remove backbone_seeds");
  dir.Write("c/ViT.pt", "weights");
  dir.Write("c/bpe_simple_vocab_16e6.txt.gz", "vocab");
  auto clip = ParseSweepFile(
      dir.Write("c.yaml", ClassificationHead() + "backbone: clip:c/ViT.pt\n" +
                              "replicates: {backbone_seeds: [1]}\nmethods: [zero-shot]\n"));
  ASSERT_FALSE(clip.ok());
  EXPECT_NE(clip.status().message().find("replicates.backbone_seeds: backbone seeds are "
                                         "pretraining runs of a builtin backbone"),
            std::string::npos)
      << clip.status().message();
  EXPECT_NE(clip.status().message().find("clip: backbones are the weights of a file"),
            std::string::npos);
}

}  // namespace
}  // namespace chromatune
