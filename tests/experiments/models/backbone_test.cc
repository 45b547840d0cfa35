#include "experiments/models/backbone.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "experiments/models/checkpoint.h"
#include "experiments/sweep/backbone_ref.h"
#include "tests/experiments/methods/thread_communicator.h"
#include "tests/experiments/models/tiny_spec.h"

namespace chromatune::models {
namespace {

namespace fs = std::filesystem;

class BackboneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    cache_ = fs::temp_directory_path() / ("ct_models_cache_" + std::to_string(::getpid()));
    fs::remove_all(cache_);
  }
  void TearDown() override { fs::remove_all(cache_); }
  fs::path cache_;
};

TEST_F(BackboneTest, PretrainsOnceThenHitsTheCacheBySpecHash) {
  PretrainSpec spec = testing::TinySpec();
  int progress_calls = 0;
  ProgressFn progress = [&](double, const std::string&) { ++progress_calls; };
  auto first = LoadOrPretrainSpec(spec, cache_.string(), nullptr, progress);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(progress_calls, 0);
  EXPECT_EQ((*first)->checkpoint_path, (cache_ / spec.Hash()).string());
  EXPECT_TRUE(fs::exists(cache_ / spec.Hash() / "weights.pt"));

  progress_calls = 0;
  spec.threads = 2;  // not part of the identity
  auto second = LoadOrPretrainSpec(spec, cache_.string(), nullptr, progress);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(progress_calls, 0);  // loaded, not trained
  auto images = torch::rand({1, 3, 32, 32});
  EXPECT_TRUE(torch::equal((*first)->dual->EncodeImage(images, {}),
                           (*second)->dual->EncodeImage(images, {})));

  spec.steps += 1;  // a different spec trains again, into another directory
  auto third = LoadOrPretrainSpec(spec, cache_.string(), nullptr, progress);
  ASSERT_TRUE(third.ok());
  EXPECT_GT(progress_calls, 0);
  EXPECT_NE((*third)->checkpoint_path, (*first)->checkpoint_path);
}

TEST_F(BackboneTest, NamesWithOverridesResolveToSpecs) {
  auto spec = SpecForBackboneName("builtin:tiny-clip?steps=7&conv_widths=8,16&image_size=32");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->kind, "tiny-clip");
  EXPECT_EQ(spec->steps, 7);
  EXPECT_EQ(spec->conv_widths, (std::vector<int64_t>{8, 16}));
  auto fusion = SpecForBackboneName("builtin:tiny-fusion");
  ASSERT_TRUE(fusion.ok());
  EXPECT_EQ(fusion->kind, "tiny-fusion");

  EXPECT_FALSE(SpecForBackboneName("builtin:tiny-vit").ok());
  EXPECT_FALSE(SpecForBackboneName("resnet50").ok());
  auto bad_field = SpecForBackboneName("builtin:tiny-clip?stepz=3");
  ASSERT_FALSE(bad_field.ok());
  EXPECT_NE(bad_field.status().message().find("stepz"), std::string::npos);
  EXPECT_FALSE(SpecForBackboneName("builtin:tiny-clip?steps").ok());
  EXPECT_FALSE(SpecForBackboneName("builtin:tiny-clip?kind=tiny-fusion").ok());
}

// replicates.backbone_seeds: "?seed=S" is another pretraining run, so another spec hash and
// checkpoint; an override written twice is an error rather than the last one winning.
TEST_F(BackboneTest, SeededNamesAreOtherSpecs) {
  auto plain = SpecForBackboneName("builtin:tiny-clip");
  auto seeded = SpecForBackboneName(SeededBackboneName("builtin:tiny-clip", 3));
  ASSERT_TRUE(plain.ok() && seeded.ok()) << seeded.status().ToString();
  EXPECT_EQ(seeded->seed, 3);
  EXPECT_NE(seeded->Hash(), plain->Hash());
  EXPECT_NE(CheckpointDir("c", *seeded), CheckpointDir("c", *plain));
  auto with_steps = SpecForBackboneName(SeededBackboneName("builtin:tiny-fusion?steps=7", 2));
  ASSERT_TRUE(with_steps.ok()) << with_steps.status().ToString();
  EXPECT_EQ(with_steps->steps, 7);
  EXPECT_EQ(with_steps->seed, 2);
  auto twice = SpecForBackboneName("builtin:tiny-clip?seed=2&seed=3");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("\"seed\" given twice"), std::string::npos)
      << twice.status().message();
}

// Pretraining is rank-invariant (PretrainTest.TwoRanksTrainTheOneRankModel), so a checkpoint
// pretrained over 2 ranks is the one a single process finds and loads.
TEST_F(BackboneTest, ACheckpointServesEveryRankCount) {
  const PretrainSpec spec = testing::TinySpec();
  methods::ThreadGroup group(2);
  std::vector<std::string> paths(2);
  std::vector<Status> statuses(2);
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      methods::ThreadCommunicator comm(&group, r);
      auto b = LoadOrPretrainSpec(spec, cache_.string(), &comm, {});
      statuses[r] = b.status();
      if (b.ok()) paths[r] = (*b)->checkpoint_path;
    });
  }
  for (auto& t : ranks) t.join();
  ASSERT_TRUE(statuses[0].ok()) << statuses[0].ToString();
  EXPECT_EQ(paths[0], (cache_ / spec.Hash()).string());
  auto single = LoadOrPretrainSpec(spec, cache_.string(), nullptr, {});
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_FALSE((*single)->pretrained_here);
  EXPECT_EQ((*single)->checkpoint_path, paths[0]);
}

TEST_F(BackboneTest, LoadOrPretrainByNameUsesTheSameCache) {
  const std::string name =
      "builtin:tiny-clip?image_size=32&conv_widths=8,16,16&vision_layers=1&vision_heads=2&"
      "text_width=16&text_layers=1&text_heads=2&context_length=12&embed_dim=16&steps=2&"
      "batch_size=8&warmup_steps=0&threads=1";
  auto backbone = LoadOrPretrain(name, cache_.string(), nullptr, {});
  ASSERT_TRUE(backbone.ok()) << backbone.status().ToString();
  EXPECT_EQ((*backbone)->name, name);
  ASSERT_TRUE((*backbone)->dual);
  EXPECT_FALSE((*backbone)->fusion);
  EXPECT_EQ((*backbone)->spec["steps"], 2);
  EXPECT_TRUE(fs::exists(fs::path((*backbone)->checkpoint_path) / "spec.json"));
}

TEST_F(BackboneTest, SpecFileNames) {
  fs::create_directories(cache_);
  const fs::path file = cache_ / "fusion.yaml";
  {
    std::ofstream(file) << "kind: tiny-fusion\nimage_size: 32\nconv_widths: [8, 16, 16]\n"
                           "text_width: 16\ntext_heads: 2\ncontext_length: 12\nfusion_layers: 1\n"
                           "steps: 2\nbatch_size: 8\nwarmup_steps: 0\nthreads: 1\n";
  }
  auto backbone = LoadOrPretrain("spec:" + file.string(), cache_.string(), nullptr, {});
  ASSERT_TRUE(backbone.ok()) << backbone.status().ToString();
  ASSERT_TRUE((*backbone)->fusion);
  EXPECT_EQ(LoadOrPretrain("spec:" + (cache_ / "nope.yaml").string(), cache_.string(), nullptr, {})
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_F(BackboneTest, CorruptCacheEntryIsReportedNotRetrained) {
  PretrainSpec spec = testing::TinySpec();
  fs::create_directories(cache_ / spec.Hash());
  { std::ofstream(cache_ / spec.Hash() / "spec.json") << "garbage"; }
  auto r = LoadOrPretrainSpec(spec, cache_.string(), nullptr, {});
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find(spec.Hash()), std::string::npos);
}

}  // namespace
}  // namespace chromatune::models
