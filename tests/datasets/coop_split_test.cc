#include "datasets/coop_split.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "datasets/image_io.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

// Writes images/{cat,dog}_{0..3}.png (8x6, coloured by class) and a split JSON.
std::string MakeFixture(const TempDir& dir) {
  std::filesystem::create_directories(dir.File("images"));
  for (int k = 0; k < 4; ++k) {
    EXPECT_TRUE(WritePng(dir.File("images/cat_" + std::to_string(k) + ".png"),
                         Image::Filled(6, 8, {200, 0, 0}))
                    .ok());
    EXPECT_TRUE(WritePng(dir.File("images/dog_" + std::to_string(k) + ".png"),
                         Image::Filled(6, 8, {0, 0, 200}))
                    .ok());
  }
  return dir.Write("split.json", R"({
    "train": [["images/cat_0.png", 0, "cat"], ["images/dog_0.png", 1, "dog"],
              ["images/cat_1.png", 0, "cat"], ["images/dog_1.png", 1, "dog"]],
    "val": [["images/cat_2.png", 0, "cat"]],
    "test": [["images/cat_3.png", 0, "cat"], ["images/dog_3.png", 1, "dog"],
             ["images/dog_2.png", 1, "dog"]]})");
}

TEST(CoopSplitTest, ReadsEntriesAndClassNames) {
  TempDir dir;
  const std::string json = MakeFixture(dir);
  auto split = ReadCoopSplit(json);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->class_names, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(split->train.size(), 4u);
  EXPECT_EQ(split->val.size(), 1u);
  EXPECT_EQ(split->test.size(), 3u);
  EXPECT_EQ(split->train[1].label, 1);
  EXPECT_EQ(split->train[1].path, dir.File("images/dog_0.png"));
  TempDir elsewhere;
  auto rooted = ReadCoopSplit(json, elsewhere.path());
  ASSERT_TRUE(rooted.ok()) << rooted.status().ToString();
  EXPECT_EQ(rooted->train[0].path, elsewhere.path() + "/images/cat_0.png");
  EXPECT_EQ(rooted->train[0].relpath, "images/cat_0.png");
  EXPECT_EQ(rooted->val.size(), 1u);
}

TEST(CoopSplitTest, BadFilesNameTheFieldAndTheFile) {
  TempDir dir;
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {R"([1, 2])", "top level: must be an object"},
      {R"({"test": []})", "\"train\": missing"},
      {R"({"train": {}, "test": []})", "\"train\": must be an array"},
      {R"({"train": [["a.png", 0]], "test": []})", "\"train\"[0]: must be [relpath, label"},
      {R"({"train": [["a.png", "0", "cat"]], "test": []})", "\"train\"[0][1]: must be an integer"},
      {R"({"train": [["a.png", -1, "cat"]], "test": []})", "\"train\"[0][1]: label must be"},
      {R"({"train": [["a.png", 0, "cat"]], "test": [["b.png", 0, "dog"]]})",
       "\"test\"[0][2]: class name \"dog\" for label 0, but it was named \"cat\""},
      {R"({"train": [["a.png", 1, "cat"]], "test": [["b.png", 1, "cat"]]})",
       "label 0 is never used"},
      {R"({"train": [], "test": [["b.png", 0, "cat"]]})", "\"train\": no examples"},
      {R"({"train": [["", 0, "cat"]], "test": []})", "\"train\"[0][0]: empty image path"},
      {R"({"train": [["a.png", 0, "cat"]], )", "not valid JSON"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.Write("bad.json", c.json);
    auto split = ReadCoopSplit(path);
    ASSERT_FALSE(split.ok()) << c.json;
    EXPECT_NE(split.status().message().find(path), std::string::npos) << split.status().message();
    EXPECT_NE(split.status().message().find(c.expect), std::string::npos)
        << split.status().message();
  }
  EXPECT_EQ(ReadCoopSplit(dir.File("none.json")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace chromatune::datasets
