// End-to-end trials through the engine: a tiny tiny-clip pretrained for a few steps inside
// the test (cached in the temp directory), real Fashion-MNIST data, small evaluation
// subsets and few epochs so that every method runs in seconds.
#include "experiments/methods/trial_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "datasets/image_io.h"

namespace chromatune::methods {
namespace {

const char* const kClip = "builtin:tiny-clip?steps=30&batch_size=32";

class TrialEngineTest : public ::testing::Test {
 protected:
  // The tiny backbone's checkpoint is cached in the temp directory: ctest runs each test in
  // its own process, and they share it (the models area writes checkpoints atomically).
  static void SetUpTestSuite() {
    RunnerOptions o;
    o.cache_dir = std::filesystem::temp_directory_path() / "chromatune_methods_test_cache";
    engine_ = new TrialEngine(o);
  }
  static void TearDownTestSuite() { delete engine_; }

  static nlohmann::json Item(const std::string& task, const std::string& method,
                             nlohmann::json params, int shots = 2, int data_seed = 1) {
    const bool grounding = task == "grounding";
    return {{"task", task},
            {"dataset", grounding ? "fashion-ref" : "fashion-mnist"},
            {"backbone", kClip},
            {"method", method},
            {"shots", shots},
            {"shot_unit", grounding ? "total" : "per_class"},
            {"data_seed", data_seed},
            {"train_seed", 2},
            {"eval_size", grounding ? 16 : 40},
            {"params", std::move(params)}};
  }

  static Result<TrialResult> Run(const nlohmann::json& item) {
    LocalCommunicator comm;
    TrialContext ctx;
    ctx.comm = &comm;
    return engine_->Run(item, ctx);
  }

  static const NamedArray* Array(const TrialResult& r, const std::string& name) {
    for (const auto& a : r.arrays) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }

  static void ExpectSane(const TrialResult& r, int64_t eval_size, bool trained) {
    ASSERT_TRUE(r.metrics.count("accuracy"));
    EXPECT_GE(r.metrics.at("accuracy"), 0.0);
    EXPECT_LE(r.metrics.at("accuracy"), 1.0);
    EXPECT_EQ(r.metrics.at("eval_size"), eval_size);
    const NamedArray* pred = Array(r, "predictions");
    ASSERT_NE(pred, nullptr);
    EXPECT_EQ(pred->shape, (std::vector<int64_t>{eval_size}));
    int64_t losses = 0;
    for (const auto& c : r.curves) losses += c.name == "train_loss";
    EXPECT_EQ(losses > 0, trained);
    if (trained) {
      EXPECT_TRUE(std::isfinite(r.metrics.at("train_loss")));
    }
  }

  static TrialEngine* engine_;
};

TrialEngine* TrialEngineTest::engine_ = nullptr;

TEST_F(TrialEngineTest, EveryClassificationMethodRuns) {
  const nlohmann::json train = {{"epochs", 2}, {"batch_size", 8}};
  struct Case {
    const char* method;
    nlohmann::json params;
    bool trains;
  };
  nlohmann::json coop = train;
  coop["ctx_len"] = 4;
  nlohmann::json vpt = train;
  vpt["tokens"] = 2;
  nlohmann::json pad = train;
  pad["width"] = 3;
  nlohmann::json ft = train;
  ft["last_k_blocks"] = 1;
  for (const Case& c : {Case{"zero-shot", nlohmann::json::object(), false},
                        Case{"ensemble", nlohmann::json::object(), false}, Case{"coop", coop, true},
                        Case{"vpt", vpt, true}, Case{"pad-prompt", pad, true},
                        Case{"linear-probe", train, true}, Case{"finetune", ft, true}}) {
    auto r = Run(Item("classification", c.method, c.params, c.trains ? 2 : 0));
    ASSERT_TRUE(r.ok()) << c.method << ": " << r.status().ToString();
    SCOPED_TRACE(c.method);
    ExpectSane(*r, 40, c.trains);
    EXPECT_EQ(r->info["method"], c.method);
  }
}

TEST_F(TrialEngineTest, CoopReportsContextAndNearestWords) {
  auto r = Run(
      Item("classification", "coop", {{"ctx_len", 4}, {"init", "a photo of a"}, {"epochs", 1}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const NamedArray* ctx = Array(*r, "context_vectors");
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->shape.size(), 2u);
  EXPECT_EQ(ctx->shape[0], 4);
  ASSERT_EQ(r->info["context_words"].size(), 4u);
  auto csc = Run(Item("classification", "coop",
                      {{"ctx_len", 2}, {"csc", true}, {"class_position", "front"}, {"epochs", 1}}));
  ASSERT_TRUE(csc.ok()) << csc.status().ToString();
  EXPECT_EQ(Array(*csc, "context_vectors")->shape[0], 10);  // one set per class
  EXPECT_EQ(csc->info["context_words"].size(), 20u);
}

TEST_F(TrialEngineTest, SameDataSeedSameSupportAcrossMethods) {
  auto a = Run(Item("classification", "linear-probe", {{"epochs", 1}}, 2, 5));
  auto b = Run(Item("classification", "coop", {{"ctx_len", 2}, {"epochs", 1}}, 2, 5));
  auto c = Run(Item("classification", "coop", {{"ctx_len", 2}, {"epochs", 1}}, 2, 6));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->info["support_ids"], b->info["support_ids"]);
  EXPECT_EQ(a->info["support_ids"].size(), 20u);
  EXPECT_NE(a->info["support_ids"], c->info["support_ids"]);
}

TEST_F(TrialEngineTest, FrozenImageFeaturesAreNotRecomputed) {
  ASSERT_TRUE(Run(Item("classification", "zero-shot", nlohmann::json::object(), 0)).ok());
  const int64_t misses = engine_->features(kClip).misses();
  auto r = Run(Item("classification", "ensemble", nlohmann::json::object(), 0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(engine_->features(kClip).misses(), misses);
  EXPECT_EQ(engine_->cached_backbones(), 1u);
}

// replicates.backbone_seeds: an item with backbone_seed runs on the backbone pretrained with
// that seed (its own checkpoint), and its frozen features are not the unseeded backbone's.
TEST_F(TrialEngineTest, BackboneSeedLoadsThatPretrainingRun) {
  nlohmann::json item = Item("classification", "zero-shot", nlohmann::json::object(), 0);
  auto plain = Run(item);
  item["backbone_seed"] = 2;
  auto seeded = Run(item);
  ASSERT_TRUE(plain.ok() && seeded.ok()) << seeded.status().ToString();
  EXPECT_FALSE(plain->info.contains("backbone_seed"));
  EXPECT_EQ(seeded->info["backbone_seed"], 2);
  EXPECT_EQ(seeded->info["backbone"], kClip);
  const std::string checkpoint = seeded->info["checkpoint"];
  EXPECT_NE(checkpoint, plain->info["checkpoint"].get<std::string>());
  std::ifstream spec(std::filesystem::path(checkpoint) / "spec.json");
  EXPECT_EQ(nlohmann::json::parse(spec)["spec"]["seed"], 2);
  EXPECT_EQ(engine_->cached_backbones(), 2u);
  EXPECT_NE(&engine_->features(kClip), &engine_->features(std::string(kClip) + "&seed=2"));
}

TEST_F(TrialEngineTest, GroundingMethodsRun) {
  struct Case {
    const char* method;
    nlohmann::json params;
    bool trains;
  };
  for (const Case& c :
       {Case{"zero-shot", nlohmann::json::object(), false},
        Case{"red-circle", nlohmann::json::object(), false},
        Case{"cpt", nlohmann::json::object(), false},
        Case{"cpt", {{"palette", "cpt-5"}, {"marker", "mask"}}, false},
        Case{"cpt", {{"palette", {"red", "blue"}}, {"epochs", 1}, {"batch_size", 4}}, true},
        Case{"coop", {{"ctx_len", 2}, {"epochs", 1}, {"batch_size", 4}}, true},
        Case{"linear-probe", {{"epochs", 1}, {"batch_size", 4}}, true}}) {
    auto r = Run(Item("grounding", c.method, c.params, c.trains ? 8 : 0));
    ASSERT_TRUE(r.ok()) << c.method << ": " << r.status().ToString();
    SCOPED_TRACE(c.method + c.params.dump());
    ExpectSane(*r, 16, c.trains);
    const NamedArray* scores = Array(*r, "proposal_scores");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->shape[0], 16);
    if (std::string(c.method) == "cpt") {
      const NamedArray* colours = Array(*r, "cpt_color_scores");
      ASSERT_NE(colours, nullptr);
      ASSERT_EQ(colours->shape.size(), 3u);
      const int64_t num_c =
          c.params.contains("palette") ? (c.params["palette"].is_string() ? 5 : 2) : 1;
      EXPECT_EQ(colours->shape[2], num_c);
      // ceil(P / C) renderings.
      EXPECT_EQ(colours->shape[1], (scores->shape[1] + num_c - 1) / num_c);
    }
  }
}

TEST_F(TrialEngineTest, FusionBackboneFillsTheMask) {
  nlohmann::json item = Item("grounding", "cpt", {{"palette", "cpt-5"}}, 0);
  item["backbone"] = "builtin:tiny-fusion?steps=5&batch_size=8";
  auto r = Run(item);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSane(*r, 16, false);
  ASSERT_NE(Array(*r, "cpt_color_scores"), nullptr);
  item["method"] = "zero-shot";
  item["params"] = nlohmann::json::object();
  auto zs = Run(item);
  ASSERT_FALSE(zs.ok());
  EXPECT_NE(zs.status().message().find("cpt only"), std::string::npos);
}

TEST_F(TrialEngineTest, BadItemsAreClearErrors) {
  auto cpt = Run(Item("classification", "cpt", nlohmann::json::object(), 0));
  ASSERT_FALSE(cpt.ok());
  EXPECT_NE(cpt.status().message().find("grounding"), std::string::npos);
  auto unknown = Run(Item("classification", "prefix-tuning", nlohmann::json::object()));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("prefix-tuning"), std::string::npos);
  nlohmann::json mismatch = Item("classification", "zero-shot", nlohmann::json::object(), 0);
  mismatch["dataset"] = "fashion-ref";
  auto m = Run(mismatch);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("fashion-ref"), std::string::npos);
  auto param = Run(Item("classification", "coop", {{"ctx_len", 0}}));
  ASSERT_FALSE(param.ok());
  EXPECT_EQ(param.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(param.status().message().find("params.ctx_len"), std::string::npos);
  auto csc = Run(Item("grounding", "coop", {{"csc", true}, {"ctx_len", 2}}, 4));
  ASSERT_FALSE(csc.ok());
  EXPECT_NE(csc.status().message().find("params.csc"), std::string::npos);
  auto long_ctx = Run(Item("classification", "coop", {{"ctx_len", 40}, {"epochs", 1}}));
  ASSERT_FALSE(long_ctx.ok());
  EXPECT_NE(long_ctx.status().message().find("ctx_len"), std::string::npos);
}

TEST_F(TrialEngineTest, TorchScriptBackboneRunsZeroShotAndCoop) {
  const std::string backbone = std::string("torchscript:") + CT_METHODS_TORCHSCRIPT;
  for (const char* method : {"zero-shot", "coop"}) {
    nlohmann::json item =
        Item("classification", method, {{"ctx_len", 3}, {"epochs", 1}, {"batch_size", 8}}, 2);
    if (std::string(method) == "zero-shot") item["params"] = nlohmann::json::object();
    item["backbone"] = backbone;
    auto r = Run(item);
    ASSERT_TRUE(r.ok()) << method << ": " << r.status().ToString();
    SCOPED_TRACE(method);
    ExpectSane(*r, 40, std::string(method) == "coop");
  }
  // No visual prompts in an opaque TorchScript image tower: a clear error.
  nlohmann::json vpt = Item("classification", "vpt", {{"epochs", 1}});
  vpt["backbone"] = backbone;
  auto r = Run(vpt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("visual prompt"), std::string::npos);
}

// Users' referring expressions end to end: non-square images larger than the model's side,
// a detector's proposals file, refs in train, val and testA. Every view kind is made on the
// decoded originals (the examples hold no resized copy), and each split is reported apart.
TEST_F(TrialEngineTest, RefexpGroundingOnOriginalsReportsEverySplit) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("chromatune_refexp_engine_" +
       std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  for (int i = 1; i <= 3; ++i) {
    datasets::Image image = datasets::Image::Filled(70, 130, {200, 190, 180});
    datasets::BlendBox(&image, {10.0f * i, 10, 50.0f + 10 * i, 60}, {40, 60, 200}, 1.0f);
    ASSERT_TRUE(datasets::WritePng((dir / (std::to_string(i) + ".png")).string(), image).ok());
  }
  std::ofstream(dir / "refs.json") << R"({
    "images": [{"id": 1, "file_name": "1.png", "width": 130, "height": 70},
               {"id": 2, "file_name": "2.png", "width": 130, "height": 70},
               {"id": 3, "file_name": "3.png", "width": 130, "height": 70}],
    "annotations": [{"id": 1, "image_id": 1, "bbox": [10, 10, 40, 50], "category_id": 1},
                    {"id": 2, "image_id": 2, "bbox": [20, 10, 40, 50], "category_id": 1},
                    {"id": 3, "image_id": 3, "bbox": [30, 10, 40, 50], "category_id": 1}],
    "categories": [{"id": 1, "name": "bag"}],
    "refs": [{"image_id": 1, "ann_id": 1, "split": "train", "sentences": [{"sent": "the bag"}]},
             {"image_id": 2, "ann_id": 2, "split": "val", "sentences": [{"sent": "the bag"}]},
             {"image_id": 3, "ann_id": 3, "split": "testA",
              "sentences": [{"sent": "the bag"}, {"sent": "the left bag"}]}]})";
  std::ofstream(dir / "props.json") << R"({
    "1": [[10, 10, 40, 50], [80, 5, 40, 40]],
    "2": [[20, 10, 40, 50], [22, 12, 40, 50], [90, 20, 30, 30]],
    "3": [[30, 10, 40, 50], [0, 0, 20, 20]]})";
  struct Case {
    const char* method;
    nlohmann::json params;
    int shots;
  };
  for (const Case& c : {Case{"zero-shot", nlohmann::json::object(), 0},
                        Case{"red-circle", nlohmann::json::object(), 0},
                        Case{"cpt", {{"palette", {"red", "blue"}}}, 0},
                        Case{"cpt", {{"epochs", 1}, {"batch_size", 1}}, 1}}) {
    SCOPED_TRACE(c.method + c.params.dump());
    nlohmann::json item = Item("grounding", c.method, c.params, c.shots);
    item["dataset"] = "refexp:" + (dir / "refs.json").string();
    item["dataset_options"] = {{"proposals", (dir / "props.json").string()}};
    auto r = Run(item);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->metrics.at("eval_size"), 1);
    EXPECT_EQ(r->metrics.at("eval_size/testA"), 2);
    EXPECT_EQ(r->metrics.at("accuracy/val"), r->metrics.at("accuracy"));
    EXPECT_GE(r->metrics.at("accuracy/testA"), 0.0);
    EXPECT_LE(r->metrics.at("accuracy/testA"), 1.0);
    // Image 2's first two proposals both cover the bag (IoU 0.85): either choice is right.
    const NamedArray* predictions = Array(*r, "predictions");
    ASSERT_NE(predictions, nullptr);
    EXPECT_EQ(r->metrics.at("accuracy"), predictions->data[0] < 2 ? 1.0 : 0.0);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace chromatune::methods
