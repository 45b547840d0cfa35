// The `dataset:` mapping of a sweep file (spec.h), the plan's dataset checks
// (dataset_check.h) and what plan items carry (plan.h): users' datasets end to end through
// ParseSweepFile and PlanSweep, on small folders the tests write.
#include <gtest/gtest.h>

#include <filesystem>

#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"
#include "experiments/sweep/trial_key.h"
#include "tests/experiments/sweep/sweep_fixtures.h"

namespace chromatune {
namespace {

using testing::MessageLines;
using testing::TempDir;
namespace fs = std::filesystem;

// data/pets.csv with 3 train images of "cat", 2 of "dog", one test image each, and one
// val image of "cat"; images under images/.
void WritePets(const TempDir& dir, const std::string& folder = "data") {
  dir.Write(folder + "/pets.csv",
            "path,label,split\n"
            "c1.png,cat,train\nc2.png,cat,train\nc3.png,cat,train\n"
            "d1.png,dog,train\nd2.png,dog,train\n"
            "c4.png,cat,test\nd3.png,dog,test\nc5.png,cat,val\n");
  for (const char* name : {"c1", "c2", "c3", "c4", "c5", "d1", "d2", "d3"}) {
    dir.Write(folder + "/images/" + name + ".png", std::string("png-bytes-") + name);
  }
}

std::string Sweep(const std::string& dataset, const std::string& shots = "[0, 1, 2]") {
  return "name: s\ntask: classification\ndataset: " + dataset + "\nshots: " + shots +
         "\nreplicates: {data_seeds: [1, 2]}\nmethods: [zero-shot, linear-probe]\n";
}

std::vector<std::string> SpecErrors(const TempDir& dir, const std::string& yaml) {
  auto r = ParseSweepFile(dir.Write("s.yaml", yaml));
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::vector<std::string>{} : MessageLines(r.status());
}

std::string PlanError(const TempDir& dir, const std::string& yaml) {
  auto spec = ParseSweepFile(dir.Write("s.yaml", yaml));
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (!spec.ok()) return "";
  auto plan = PlanSweep(*spec);
  EXPECT_FALSE(plan.ok());
  return plan.ok() ? "" : plan.status().message();
}

TEST(DatasetSpecTest, MappingResolvesPathsAgainstTheSweepFile) {
  TempDir dir;
  WritePets(dir);
  dir.Write("data/props.json", "{}");
  auto r = ParseSweepFile(dir.Write(
      "s.yaml", Sweep("{source: csv:data/pets.csv, image_root: data/images/,\n"
                      "          eval: {split: [test, val], size: 100, domain: plain}}")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->dataset, "csv:" + dir.path() + "/data/pets.csv");
  EXPECT_EQ(r->dataset_options.image_root, dir.path() + "/data/images");
  EXPECT_EQ(r->dataset_options.eval.splits, (std::vector<std::string>{"test", "val"}));
  EXPECT_EQ(r->dataset_options.eval.size, 100);
  EXPECT_EQ(r->dataset_options.eval.domain, "");  // plain is the default
  EXPECT_EQ(r->dataset_mark.line, 3);
  EXPECT_EQ(r->shots_mark.line, 5);  // the mapping spans lines 3 and 4

  auto single = ParseSweepFile(
      dir.Write("s.yaml", Sweep("{source: fashion-mnist, eval: {split: val, size: all, "
                                "domain: shift}}")));
  ASSERT_TRUE(single.ok()) << single.status().message();
  EXPECT_EQ(single->dataset, "fashion-mnist");
  EXPECT_EQ(single->dataset_options.eval.splits, (std::vector<std::string>{"val"}));
  EXPECT_EQ(single->dataset_options.eval.size, datasets::kEvalSizeAll);
  EXPECT_EQ(single->dataset_options.eval.domain, "shift");

  auto folder = ParseSweepFile(dir.Write("s.yaml", Sweep("imagefolder:data")));
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_EQ(folder->dataset, "imagefolder:" + dir.path() + "/data");
  EXPECT_TRUE(folder->dataset_options.empty());

  auto refexp = ParseSweepFile(
      dir.Write("s.yaml",
                "name: g\ntask: grounding\ndataset: {source: refexp:data/props.json, "
                "proposals: data/props.json, eval: {split: [val, testA, testB]}}\nshots: 0\n"
                "methods: [cpt]\n"));
  ASSERT_TRUE(refexp.ok()) << refexp.status().message();
  EXPECT_EQ(refexp->dataset_options.proposals, dir.path() + "/data/props.json");
}

TEST(DatasetSpecTest, MappingErrorsCarryLineAndColumn) {
  TempDir dir;
  WritePets(dir);
  const std::string p = dir.path() + "/s.yaml";
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: csv:data/pets.csv, imgae_root: data}")),
            (std::vector<std::string>{
                p + ":3:38: dataset.imgae_root: unknown field (did you mean \"image_root\"?)"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{image_root: data}")),
            (std::vector<std::string>{
                p + ":3:10: dataset.source: missing required field (e.g. fashion-mnist, "
                    "imagefolder:ROOT, csv:FILE, coop-split:FILE, refexp:FILE)"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: csv:data/pets.csv, eval: {splt: test, size: 0}}")),
            (std::vector<std::string>{
                p + ":3:45: dataset.eval.splt: unknown field (did you mean \"split\"?)",
                p + ":3:63: dataset.eval.size: expected all or an integer >= 1 (items per "
                    "split), got the number 0"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: imagefolder:data, image_root: data}")),
            (std::vector<std::string>{p + ":3:49: dataset.image_root: is for csv:, coop-split: and "
                                          "refexp: sources; an image folder's images are under its "
                                          "ROOT"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: fashion-mnist, image_root: data, proposals: x}")),
            (std::vector<std::string>{
                p + ":3:46: dataset.image_root: is for csv:, coop-split: and refexp: sources; "
                    "\"fashion-mnist\" brings its own images",
                p + ":3:63: dataset.proposals: is for refexp: sources (grounding on your own "
                    "images)"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: csv:data/pets.csv, image_root: nope}")),
            (std::vector<std::string>{
                p + ":3:50: dataset.image_root: folder not found: " + dir.path() + "/nope"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("imagefolder:data/pets.csv")),
            (std::vector<std::string>{p + ":3:10: dataset: is not a folder: " + dir.path() +
                                      "/data/pets.csv"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: csv:data/pets.csv, eval: {domain: shift}}")),
            (std::vector<std::string>{
                p +
                ":3:53: dataset.eval.domain: shift is the shifted rendering of the builtin "
                "datasets (fashion-mnist, fashion-ref); \"csv:" +
                dir.path() + "/data/pets.csv\" has none"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: fashion-mnist, eval: {split: [tset, test, test]}}")),
            (std::vector<std::string>{
                p + ":3:49: dataset.eval.split[0]: unknown split \"tset\" for fashion-mnist (did "
                    "you mean \"test\"?); known: test, val",
                p + ":3:61: dataset.eval.split[2]: the split \"test\" is listed twice"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: fashion-mnist, eval: [test]}")),
            (std::vector<std::string>{p + ":3:40: dataset.eval: expected a mapping {split, size, "
                                          "domain}, got a list"}));
  EXPECT_EQ(SpecErrors(dir, Sweep("{source: csv:nope.csv}")),
            (std::vector<std::string>{p + ":3:19: dataset.source: file not found: " + dir.path() +
                                      "/nope.csv"}));
}

TEST(DatasetSpecTest, PlanItemsCarryResolvedOptionsAndKeysLeavePathsOut) {
  TempDir dir;
  WritePets(dir);
  auto spec = ParseSweepFile(
      dir.Write("s.yaml", Sweep("{source: csv:data/pets.csv, image_root: data/images}")));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  auto plan = PlanSweep(*spec);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->count, 5);  // zero-shot once, linear-probe at 1 and 2 shots x 2 data seeds
  const nlohmann::json& item = plan->items[1];
  EXPECT_EQ(item["dataset"], "csv:" + dir.path() + "/data/pets.csv");
  EXPECT_EQ(item["dataset_options"].dump(),
            R"({"eval":{"size":"all","split":["test"]},"image_root":")" + dir.path() +
                R"(/data/images"})");

  // The same data elsewhere: the same keys.
  TempDir other;
  WritePets(other, "moved");
  auto moved_spec = ParseSweepFile(
      other.Write("s.yaml", Sweep("{source: csv:moved/pets.csv, image_root: moved/images}")));
  ASSERT_TRUE(moved_spec.ok()) << moved_spec.status().message();
  auto moved = PlanSweep(*moved_spec);
  ASSERT_TRUE(moved.ok()) << moved.status().message();
  for (size_t i = 0; i < plan->items.size(); ++i) {
    EXPECT_EQ(moved->items[i]["key"], plan->items[i]["key"]) << i;
  }
  // Evaluating elsewhere is another trial.
  auto val_spec = ParseSweepFile(dir.Write(
      "s.yaml",
      Sweep("{source: csv:data/pets.csv, image_root: data/images, eval: {split: [test, val]}}")));
  ASSERT_TRUE(val_spec.ok());
  auto val = PlanSweep(*val_spec);
  ASSERT_TRUE(val.ok()) << val.status().message();
  EXPECT_EQ(val->items[1]["dataset_options"]["eval"]["split"],
            nlohmann::json::array({"test", "val"}));
  EXPECT_NE(val->items[1]["key"], plan->items[1]["key"]);
}

TEST(DatasetSpecTest, ValidateChecksShotsSplitsAndFiles) {
  TempDir dir;
  WritePets(dir);
  const std::string p = dir.path() + "/s.yaml";
  const std::string csv = "csv:" + dir.path() + "/data/pets.csv";
  const std::string pets = "{source: csv:data/pets.csv, image_root: data/images";
  EXPECT_EQ(PlanError(dir, Sweep(pets + "}", "[0, 2, 3, 4]")),
            p + ":4:8: shots: 3 per class, but class \"dog\" has only 2 train images (" + csv +
                ")\n" + p +
                ":4:8: shots: 4 per class, but class \"dog\" has only 2 train images (1 more "
                "class has fewer than 4) (" +
                csv + ")");
  // A zero-shot-only sweep draws nothing, whatever shots says.
  auto zero = ParseSweepFile(dir.Write("s.yaml", "name: s\ntask: classification\ndataset: " + pets +
                                                     "}\nshots: [0, 16]\nmethods: [zero-shot]\n"));
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(PlanSweep(*zero).ok());
  EXPECT_EQ(PlanError(dir, Sweep(pets + ", eval: {split: [tst, train]}}")),
            p + ":3:10: dataset.eval.split: no split \"tst\" in " + csv +
                " (did you mean \"test\"?) (has: train, val, test)\n" + p +
                ":3:10: dataset.eval.split: \"train\" is the support pool and cannot be "
                "evaluated on; evaluate on val or test");
  fs::remove(dir.path() + "/data/images/d2.png");
  EXPECT_EQ(PlanError(dir, Sweep(pets + "}")),
            p + ":3:10: dataset: image not found: " + dir.path() + "/data/images/d2.png");
  dir.Write("data/pets.csv", "path,label,split\nc1.png,cat,tset\n");
  EXPECT_EQ(PlanError(dir, Sweep(pets + "}")),
            p + ":3:10: dataset: " + dir.path() +
                "/data/pets.csv:2: unknown split \"tset\" (expected train, val or test)");
  dir.Write("data/pets.csv", "path,label,split\nc1.png,cat,train\n");
  EXPECT_EQ(PlanError(dir, Sweep(pets + "}")),
            p + ":3:10: dataset: nothing to evaluate on: " + csv +
                " has no split but train (has: train); add a test split");
}

TEST(DatasetSpecTest, TrialKeyHoldsEvalOptionsNotPaths) {
  nlohmann::json item = {{"task", "classification"},
                         {"dataset", "csv:/a/pets.csv"},
                         {"backbone", "builtin:tiny-clip"},
                         {"method", "zero-shot"},
                         {"shots", 0},
                         {"shot_unit", "per_class"},
                         {"data_seed", 0},
                         {"train_seed", 0},
                         {"params", nlohmann::json::object()}};
  const TrialFingerprints fp{"b", "d"};
  const std::string plain = TrialKey(item, fp);
  nlohmann::json moved = item;
  moved["dataset"] = "csv:/b/pets.csv";
  moved["dataset_options"] = {{"image_root", "/b/images"}};
  EXPECT_EQ(TrialKey(moved, fp), plain);
  moved["dataset_options"]["eval"] = {{"split", {"test"}}, {"size", "all"}};
  const std::string with_eval = TrialKey(moved, fp);
  EXPECT_NE(with_eval, plain);
  moved["dataset_options"]["eval"]["size"] = 100;
  EXPECT_NE(TrialKey(moved, fp), with_eval);
  EXPECT_EQ(SeedKeyHasher(moved, fp).Key(0, 0), TrialKey(moved, fp));
}

}  // namespace
}  // namespace chromatune
