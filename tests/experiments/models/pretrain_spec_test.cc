#include "experiments/models/pretrain_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace chromatune::models {
namespace {

TEST(PretrainSpecTest, DefaultsAreValidAndHashIsStable) {
  auto clip = DefaultPretrainSpec("tiny-clip");
  ASSERT_TRUE(clip.ok());
  EXPECT_TRUE(clip->Validate().ok());
  auto fusion = DefaultPretrainSpec("tiny-fusion");
  ASSERT_TRUE(fusion.ok());
  EXPECT_NE(clip->Hash(), fusion->Hash());
  EXPECT_EQ(clip->Hash().size(), 64u);
  EXPECT_FALSE(DefaultPretrainSpec("tiny-vit").ok());
}

TEST(PretrainSpecTest, ThreadsAreNotPartOfTheIdentity) {
  PretrainSpec a, b;
  b.threads = 7;
  EXPECT_EQ(a.Hash(), b.Hash());
  b.steps = a.steps + 1;
  EXPECT_NE(a.Hash(), b.Hash());
}

TEST(PretrainSpecTest, FromJsonNamesUnknownAndBadFields) {
  PretrainSpec base;
  auto unknown = PretrainSpecFromJson({{"stepz", 3}}, base, "x.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("\"stepz\""), std::string::npos);
  auto wrong_type = PretrainSpecFromJson({{"steps", "many"}}, base, "x.yaml");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("steps"), std::string::npos);
  auto range = PretrainSpecFromJson({{"batch_size", 1}}, base, "x.yaml");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("batch_size"), std::string::npos);
  auto widths = PretrainSpecFromJson({{"conv_widths", {8, 8}}, {"image_size", 33}}, base, "x");
  ASSERT_FALSE(widths.ok());
  EXPECT_NE(widths.status().message().find("image_size"), std::string::npos);
  auto shares = PretrainSpecFromJson({{"single_item_fraction", 0.7}}, base, "x.yaml");
  ASSERT_FALSE(shares.ok());  // 0.5 pairs + 0.7 singles
  EXPECT_NE(shares.status().message().find("single_item_fraction"), std::string::npos);
  auto single = PretrainSpecFromJson({{"single_item_fraction", 0.25}}, base, "x.yaml");
  ASSERT_TRUE(single.ok());
  EXPECT_NE(single->Hash(), base.Hash());  // the corpus mix is part of the identity
  auto ok = PretrainSpecFromJson({{"steps", 5}, {"lr", 0.01}}, base, "x.yaml");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->steps, 5);
  EXPECT_DOUBLE_EQ(ok->lr, 0.01);
}

TEST(PretrainSpecTest, BenchSpecFileIsTheDefault) {
  // Tests run from the source root (tests/CMakeLists.txt).
  auto file = LoadPretrainSpecFile("bench/pretrain/tiny-clip.yaml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto builtin = DefaultPretrainSpec("tiny-clip");
  ASSERT_TRUE(builtin.ok());
  EXPECT_EQ(file->Hash(), builtin->Hash()) << file->CanonicalJson().dump();
}

TEST(PretrainSpecTest, LoadsYamlFileWithKindDefaults) {
  const auto dir = std::filesystem::temp_directory_path() / "ct_models_spec_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "spec.yaml").string();
  { std::ofstream(path) << "kind: tiny-fusion\nsteps: 12\nconv_widths: [8, 16]\nimage_size: 28\n"; }
  auto spec = LoadPretrainSpecFile(path);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->kind, "tiny-fusion");
  EXPECT_EQ(spec->steps, 12);
  EXPECT_EQ(spec->conv_widths, (std::vector<int64_t>{8, 16}));
  EXPECT_EQ(spec->batch_size, DefaultPretrainSpec("tiny-fusion")->batch_size);
  { std::ofstream(path) << "steps: [1\n"; }
  auto bad = LoadPretrainSpecFile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  EXPECT_EQ(LoadPretrainSpecFile((dir / "missing.yaml").string()).status().code(),
            StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace chromatune::models
