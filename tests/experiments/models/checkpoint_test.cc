#include "experiments/models/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/experiments/models/tiny_spec.h"

namespace chromatune::models {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    dir_ = fs::temp_directory_path() / ("ct_models_ckpt_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CheckpointTest, ClipRoundTripGivesIdenticalOutputs) {
  PretrainSpec spec = testing::TinySpec();
  auto model = BuildModel(spec);
  ASSERT_TRUE(model.ok());
  const std::string path = CheckpointDir(dir_.string(), spec);
  ASSERT_TRUE(SaveCheckpoint(path, spec, *model, {{"seconds", 1.5}}).ok());
  EXPECT_TRUE(fs::exists(fs::path(path) / "weights.pt"));
  PretrainSpec loaded_spec;
  auto loaded = LoadCheckpoint(path, &loaded_spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded_spec.Hash(), spec.Hash());
  EXPECT_DOUBLE_EQ(loaded->stats.seconds, 1.5);
  auto images = torch::rand({2, 3, 32, 32});
  EXPECT_TRUE(
      torch::equal(model->dual->EncodeImage(images, {}), loaded->dual->EncodeImage(images, {})));
  EXPECT_TRUE(
      torch::equal(model->dual->EncodeTexts({"a bag"}), loaded->dual->EncodeTexts({"a bag"})));
  EXPECT_EQ(loaded->dual->tokenizer().words(), model->dual->tokenizer().words());
  // No temporary directories are left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(CheckpointTest, FusionRoundTrip) {
  PretrainSpec spec = testing::TinySpec("tiny-fusion");
  auto model = BuildModel(spec);
  ASSERT_TRUE(model.ok());
  const std::string path = (dir_ / "f").string();
  ASSERT_TRUE(SaveCheckpoint(path, spec, *model, {}).ok());
  auto loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->fusion);
  auto images = torch::rand({1, 3, 32, 32});
  auto ids = model->fusion->tokenizer().Encode({"a [MASK] bag"}, 12).ids;
  auto idx = torch::tensor({2}, torch::kInt64);
  EXPECT_TRUE(torch::equal(model->fusion->MaskLogits(images, ids, idx),
                           loaded->fusion->MaskLogits(images, ids, idx)));
}

TEST_F(CheckpointTest, DamagedCheckpointsAreNamedErrors) {
  PretrainSpec spec = testing::TinySpec();
  auto model = BuildModel(spec);
  ASSERT_TRUE(model.ok());
  const fs::path path = dir_ / "c";
  EXPECT_EQ(LoadCheckpoint(path.string()).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(SaveCheckpoint(path.string(), spec, *model, {}).ok());

  // Truncated weights.
  const fs::path weights = path / "weights.pt";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  auto truncated = LoadCheckpoint(path.string());
  EXPECT_EQ(truncated.status().code(), StatusCode::kCorruption);
  EXPECT_NE(truncated.status().message().find("weights.pt"), std::string::npos);

  // Metadata that is not JSON, or whose hash disagrees with its spec.
  { std::ofstream(path / "spec.json") << "{not json"; }
  auto garbled = LoadCheckpoint(path.string());
  EXPECT_EQ(garbled.status().code(), StatusCode::kCorruption);
  EXPECT_NE(garbled.status().message().find("spec.json"), std::string::npos);
  {
    nlohmann::json meta = {{"format", kCheckpointFormat},
                           {"spec", spec.CanonicalJson()},
                           {"hash", "0000"},
                           {"vocabulary", {"[PAD]"}}};
    std::ofstream(path / "spec.json") << meta.dump();
  }
  auto wrong_hash = LoadCheckpoint(path.string());
  EXPECT_EQ(wrong_hash.status().code(), StatusCode::kCorruption);
  EXPECT_NE(wrong_hash.status().message().find("hash"), std::string::npos);
}

TEST_F(CheckpointTest, SavingOverAnExistingCheckpointKeepsTheFirst) {
  PretrainSpec spec = testing::TinySpec();
  auto first = BuildModel(spec);
  spec.seed = 2;  // a different model under the same directory name
  auto second = BuildModel(spec);
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string path = (dir_ / "same").string();
  ASSERT_TRUE(SaveCheckpoint(path, testing::TinySpec(), *first, {}).ok());
  ASSERT_TRUE(SaveCheckpoint(path, testing::TinySpec(), *second, {}).ok());
  auto loaded = LoadCheckpoint(path);
  ASSERT_TRUE(loaded.ok());
  auto images = torch::rand({1, 3, 32, 32});
  EXPECT_TRUE(
      torch::equal(loaded->dual->EncodeImage(images, {}), first->dual->EncodeImage(images, {})));
}

}  // namespace
}  // namespace chromatune::models
