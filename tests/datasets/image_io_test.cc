#include "datasets/image_io.h"

#include <gtest/gtest.h>

#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

TEST(ImageIoTest, PngRoundTripIsExact) {
  TempDir dir;
  Image image(5, 7, 3);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(WritePng(dir.File("a.png"), image).ok());
  auto read = ReadImageFile(dir.File("a.png"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, image);
}

TEST(ImageIoTest, GrayscaleBecomesRgb) {
  TempDir dir;
  Image gray(2, 2, 1);
  gray.pixels = {0, 50, 100, 200};
  ASSERT_TRUE(WritePng(dir.File("g.png"), gray).ok());
  auto read = ReadImageFile(dir.File("g.png"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->channels, 3);
  EXPECT_EQ(read->rgb(1, 0), (Rgb{100, 100, 100}));
}

TEST(ImageIoTest, ErrorsNameTheFile) {
  TempDir dir;
  auto missing = ReadImageFile(dir.File("none.png"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("none.png"), std::string::npos);
  const std::string bad = dir.Write("bad.png", "\x89PNG but not really");
  auto corrupt = ReadImageFile(bad);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), StatusCode::kCorruption);
  EXPECT_NE(corrupt.status().message().find("bad.png: cannot decode"), std::string::npos);
  EXPECT_FALSE(WritePng(dir.File("x.png"), Image()).ok());
  EXPECT_FALSE(WritePng(dir.path() + "/no/such/dir/x.png", Image(2, 2, 3)).ok());
}

}  // namespace
}  // namespace chromatune::datasets
