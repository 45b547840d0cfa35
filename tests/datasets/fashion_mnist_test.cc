#include "datasets/fashion_mnist.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <cstdio>
#include <vector>

#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

std::vector<uint8_t> IdxHeader(uint32_t magic, std::vector<uint32_t> dims) {
  std::vector<uint8_t> out;
  auto put = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return out;
}

void WriteGz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

// A valid tiny test split of n items: images and labels, labels i % 10.
void WriteSplit(const TempDir& dir, int n, const std::string& prefix = "t10k") {
  std::vector<uint8_t> images = IdxHeader(0x803, {static_cast<uint32_t>(n), 28, 28});
  for (int i = 0; i < n; ++i) images.insert(images.end(), 28 * 28, static_cast<uint8_t>(i));
  std::vector<uint8_t> labels = IdxHeader(0x801, {static_cast<uint32_t>(n)});
  for (int i = 0; i < n; ++i) labels.push_back(static_cast<uint8_t>(i % 10));
  WriteGz(dir.File(prefix + "-images-idx3-ubyte.gz"), images);
  WriteGz(dir.File(prefix + "-labels-idx1-ubyte.gz"), labels);
}

TEST(FashionMnistTest, ClassWordsAreCaptionFriendly) {
  EXPECT_EQ(FashionClassWords()[0], "t-shirt");
  EXPECT_EQ(FashionClassWords()[9], "boot");
  EXPECT_EQ(FashionOfficialNames()[9], "Ankle boot");
  EXPECT_STREQ(FashionSplitName(FashionSplit::kTest), "test");
  for (const std::string& w : FashionClassWords()) EXPECT_EQ(w.find(' '), std::string::npos);
}

TEST(FashionMnistTest, ReadsTheInstalledPackage) {
  auto train = LoadFashionMnist(FashionSplit::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  auto test = LoadFashionMnist(FashionSplit::kTest);
  ASSERT_TRUE(test.ok()) << test.status().ToString();
  EXPECT_EQ((*train)->count, 60000);
  EXPECT_EQ((*test)->count, 10000);
  EXPECT_EQ((*test)->pixels.size(), 10000u * 784u);
  std::vector<int> per_class(10, 0);
  for (uint8_t l : (*test)->labels) ++per_class[l];
  for (int c : per_class) EXPECT_EQ(c, 1000);
  // Cached: the same object on the second call.
  auto again = LoadFashionMnist(FashionSplit::kTest);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), test->get());
}

TEST(FashionMnistTest, ReadsAFixtureDirectoryAndTheEnvironmentOverride) {
  TempDir dir;
  WriteSplit(dir, 12);
  auto data = ReadFashionMnist(FashionSplit::kTest, dir.path());
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->count, 12);
  EXPECT_EQ(data->item(5)[100], 5);
  EXPECT_EQ(data->labels[11], 1);

  setenv("CHROMATUNE_FASHION_MNIST_DIR", dir.path().c_str(), 1);
  EXPECT_EQ(FashionMnistDir(), dir.path());
  EXPECT_EQ(FashionMnistDir("/explicit"), "/explicit");
  auto via_env = ReadFashionMnist(FashionSplit::kTest);
  unsetenv("CHROMATUNE_FASHION_MNIST_DIR");
  ASSERT_TRUE(via_env.ok()) << via_env.status().ToString();
  EXPECT_EQ(via_env->count, 12);
  EXPECT_EQ(FashionMnistDir(), "/usr/share/datasets/fashion-mnist");
}

TEST(FashionMnistTest, MissingFileNamesTheFileAndTheFix) {
  TempDir dir;
  auto data = ReadFashionMnist(FashionSplit::kTrain, dir.path());
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kNotFound);
  EXPECT_NE(data.status().message().find(dir.File("train-images-idx3-ubyte.gz")),
            std::string::npos);
  EXPECT_NE(data.status().message().find("apt-get install dataset-fashion-mnist"),
            std::string::npos);
}

TEST(FashionMnistTest, TruncatedGzipIsCorruptionNamingTheFile) {
  TempDir dir;
  WriteSplit(dir, 12);
  const std::string path = dir.File("t10k-images-idx3-ubyte.gz");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  std::vector<char> bytes(100000);
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), f));
  std::fclose(f);
  dir.Write("t10k-images-idx3-ubyte.gz", std::string(bytes.data(), bytes.size() / 2));
  auto data = ReadFashionMnist(FashionSplit::kTest, dir.path());
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kCorruption);
  EXPECT_NE(data.status().message().find(path), std::string::npos);
  EXPECT_NE(data.status().message().find("truncated"), std::string::npos);
  EXPECT_NE(data.status().message().find("apt-get install dataset-fashion-mnist"),
            std::string::npos);
}

TEST(FashionMnistTest, NotGzipIsCorruption) {
  TempDir dir;
  WriteSplit(dir, 12);
  dir.Write("t10k-labels-idx1-ubyte.gz", "plain text, not gzip");
  auto data = ReadFashionMnist(FashionSplit::kTest, dir.path());
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kCorruption);
  EXPECT_NE(data.status().message().find("t10k-labels-idx1-ubyte.gz: not a gzip file"),
            std::string::npos);
}

TEST(FashionMnistTest, HeaderFieldErrorsNameTheField) {
  TempDir dir;
  WriteSplit(dir, 12);
  // Wrong magic in the labels file.
  std::vector<uint8_t> labels = IdxHeader(0x803, {12});
  labels.resize(labels.size() + 12, 0);
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), labels);
  auto data = ReadFashionMnist(FashionSplit::kTest, dir.path());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("t10k-labels-idx1-ubyte.gz: magic"), std::string::npos)
      << data.status().message();

  // Labels count disagreeing with the images.
  WriteSplit(dir, 12);
  std::vector<uint8_t> fewer = IdxHeader(0x801, {11});
  fewer.resize(fewer.size() + 11, 0);
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), fewer);
  data = ReadFashionMnist(FashionSplit::kTest, dir.path());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("count: 11 labels"), std::string::npos)
      << data.status().message();

  // A label outside 0..9.
  WriteSplit(dir, 12);
  std::vector<uint8_t> bad = IdxHeader(0x801, {12});
  bad.resize(bad.size() + 12, 0);
  bad.back() = 10;
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), bad);
  data = ReadFashionMnist(FashionSplit::kTest, dir.path());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("label 11: value 10"), std::string::npos)
      << data.status().message();
}

TEST(ParseIdxTest, RejectsShortHeadersWrongSidesAndShortData) {
  int64_t count = 0;
  auto r = ParseIdx("x", {0, 0, 8}, 3, &count);
  EXPECT_NE(r.status().message().find("x: header"), std::string::npos);
  std::vector<uint8_t> wrong_side = IdxHeader(0x803, {1, 28, 27});
  wrong_side.resize(wrong_side.size() + 28 * 27);
  r = ParseIdx("x", wrong_side, 3, &count);
  EXPECT_NE(r.status().message().find("x: dimension 2: 27"), std::string::npos);
  std::vector<uint8_t> short_data = IdxHeader(0x803, {2, 28, 28});
  short_data.resize(short_data.size() + 784);
  r = ParseIdx("x", short_data, 3, &count);
  EXPECT_NE(r.status().message().find("x: count: header says 2 items"), std::string::npos);
  std::vector<uint8_t> good = IdxHeader(0x801, {3});
  good.insert(good.end(), {1, 2, 3});
  r = ParseIdx("x", good, 1, &count);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(count, 3);
  EXPECT_EQ(*r, (std::vector<uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace chromatune::datasets
