#include "datasets/image_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "datasets/image_io.h"
#include "datasets/resample.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

Image Gradient(int h, int w) {
  Image image(h, w, 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) image.set_rgb(y, x, {uint8_t(x * 3), uint8_t(y * 5), 90});
  }
  return image;
}

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.path().extension() == ".rgb";
  return n;
}

TEST(ImageCacheTest, DecodesOncePreprocessesAsClipAndNotices) {
  TempDir dir;
  const std::string a = dir.File("a.png"), b = dir.File("b.png");
  ASSERT_TRUE(WritePng(a, Gradient(30, 50)).ok());
  ASSERT_TRUE(WritePng(b, Gradient(41, 23)).ok());
  ImageLoadOptions o;
  o.size = 16;
  o.cache_dir = dir.File("cache");
  o.threads = 2;
  auto first = LoadPreprocessedImages({a, b}, o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0], *ClipPreprocess(Gradient(30, 50), 16));  // shorter side, centre crop
  EXPECT_EQ((*first)[1], *ClipPreprocess(Gradient(41, 23), 16));
  EXPECT_EQ(CountEntries(o.cache_dir), 2u);
  // The second load reads the cache: an entry altered on disk is what comes back.
  for (const auto& e : fs::recursive_directory_iterator(o.cache_dir)) {
    if (e.path().extension() != ".rgb") continue;
    std::ofstream(e.path(), std::ios::binary) << std::string(16 * 16 * 3, '\x07');
  }
  auto second = LoadPreprocessedImages({a}, o);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)[0], Image::Filled(16, 16, {7, 7, 7}));
  // A file rewritten in place is decoded again (its size changed, so its entry's name did).
  ASSERT_TRUE(WritePng(a, Gradient(33, 50)).ok());
  auto third = LoadPreprocessedImages({a}, o);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)[0], *ClipPreprocess(Gradient(33, 50), 16));
  // Another size is another entry.
  o.size = 8;
  ASSERT_TRUE(LoadPreprocessedImages({a}, o).ok());
  EXPECT_EQ(CountEntries(o.cache_dir), 4u);
}

TEST(ImageCacheTest, BadFilesAreNamed) {
  TempDir dir;
  ImageLoadOptions o;
  o.size = 8;
  auto missing = LoadPreprocessedImages({dir.File("none.jpg")}, o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.jpg"), std::string::npos);
  auto device = LoadPreprocessedImages({"/dev/zero"}, o);
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.status().message().find("not a regular file"), std::string::npos);
  const std::string junk = dir.Write("junk.jpg", "not an image");
  auto corrupt = LoadPreprocessedImages({junk}, o);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.status().message().find("junk.jpg"), std::string::npos);
}

// Grounding keeps originals (refexp.h): decoded at their own size by the pool, in order,
// nothing written anywhere; bad files are named as for preprocessed loads.
TEST(ImageCacheTest, DecodeImagesKeepsTheOriginalSize) {
  TempDir dir;
  const std::string a = dir.File("a.png"), b = dir.File("b.png");
  ASSERT_TRUE(WritePng(a, Gradient(30, 50)).ok());
  ASSERT_TRUE(WritePng(b, Gradient(41, 23)).ok());
  auto images = DecodeImages({b, a, b}, /*threads=*/2);
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  ASSERT_EQ(images->size(), 3u);
  EXPECT_EQ((*images)[0], Gradient(41, 23));
  EXPECT_EQ((*images)[1], Gradient(30, 50));
  EXPECT_EQ((*images)[2], Gradient(41, 23));
  auto missing = DecodeImages({a, dir.File("none.jpg")}, 2);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.jpg"), std::string::npos);
  auto device = DecodeImages({"/dev/zero"}, 1);
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::datasets
