#include "datasets/resample.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/image_io.h"
#include "tests/datasets/pillow_reference.h"
#include "tests/datasets/temp_dir.h"

// JPEG fixtures are encoded with stb_image_write (static, private to this file).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace chromatune::datasets {
namespace {

using testing::Compare;
using testing::Diff;
using testing::PillowJobs;
using testing::TempDir;

// ---- Fixtures -------------------------------------------------------------------------------

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A deterministic photo-like test card with `channels` 8-bit channels: smooth gradients,
// a fine checkerboard, hard diagonal edges, saturated blocks (to exercise the clip to
// 0..255 after bicubic overshoot) and per-pixel noise of amplitude `noise`.
Image TestCard(int h, int w, int channels, int noise, uint64_t seed) {
  Image image(h, w, channels);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const bool checker = ((x / 3) + (y / 3)) % 2 == 0;
      const bool diagonal = ((x + 2 * y) / 7) % 2 == 0;
      const bool block = (x * 5 / std::max(w, 1)) % 2 == 0 && (y * 4 / std::max(h, 1)) % 2 == 1;
      for (int c = 0; c < channels; ++c) {
        int v = 0;
        switch (c % 4) {
          case 0:
            v = x * 255 / std::max(w - 1, 1);
            break;
          case 1:
            v = y * 255 / std::max(h - 1, 1);
            break;
          case 2:
            v = checker ? 230 : 25;
            break;
          case 3:
            v = diagonal ? 255 : 40;
            break;
        }
        if (block) v = (c % 2 == 0) ? 255 : 0;
        if (noise > 0) {
          v += static_cast<int>(SplitMix(&seed) % (2 * noise + 1)) - noise;
        }
        image.at(y, x, c) = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  return image;
}

void AppendBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void AppendChunk(std::string* png, const char* type, const std::string& data) {
  AppendBe32(png, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  png->append(body);
  AppendBe32(png, static_cast<uint32_t>(
                      crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

// A minimal PNG encoder for fixtures stb_image_write cannot make (16-bit, sub-byte depths,
// palettes, tRNS): `rows` holds each scanline's packed bytes (no filter byte), big-endian
// samples as the PNG spec stores them.
std::string EncodePng(int w, int h, int bit_depth, int colour_type,
                      const std::vector<std::string>& rows, const std::string& plte = "",
                      const std::string& trns = "") {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  AppendBe32(&ihdr, w);
  AppendBe32(&ihdr, h);
  ihdr += {static_cast<char>(bit_depth), static_cast<char>(colour_type), 0, 0, 0};
  AppendChunk(&png, "IHDR", ihdr);
  if (!plte.empty()) AppendChunk(&png, "PLTE", plte);
  if (!trns.empty()) AppendChunk(&png, "tRNS", trns);
  std::string raw;
  for (const std::string& row : rows) raw += '\0' + row;  // filter type 0 (None)
  uLongf size = compressBound(raw.size());
  std::string z(size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(z.data()), &size,
                     reinterpret_cast<const Bytef*>(raw.data()), raw.size()),
            Z_OK);
  z.resize(size);
  AppendChunk(&png, "IDAT", z);
  AppendChunk(&png, "IEND", "");
  return png;
}

// Scanlines of an 8-bit image, each sample widened to 16 bits as (v << 8) | low with a
// pseudo-random low byte, so that decoders must pick the right byte.
std::vector<std::string> Rows16(const Image& image, uint64_t seed) {
  std::vector<std::string> rows;
  for (int y = 0; y < image.height; ++y) {
    std::string row;
    for (int i = 0; i < image.width * image.channels; ++i) {
      row.push_back(static_cast<char>(image.pixels[y * image.width * image.channels + i]));
      row.push_back(static_cast<char>(SplitMix(&seed)));
    }
    rows.push_back(row);
  }
  return rows;
}

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir.File(name), std::ios::binary) << bytes;
  return dir.File(name);
}

std::string WritePngFixture(const TempDir& dir, const std::string& name, const Image& image) {
  EXPECT_TRUE(stbi_write_png(dir.File(name).c_str(), image.width, image.height, image.channels,
                             image.pixels.data(), image.width * image.channels) != 0);
  return dir.File(name);
}

// JPEG fixtures are encoded by Pillow (libjpeg) from a PNG: stb_image_write's JPEG encoder
// left-shifts negative values, which the sanitizer job (UBSan) rightly stops on. The tests
// using it skip without Pillow.
std::string WriteJpegFixture(const TempDir& dir, const std::string& name, const Image& image,
                             int quality) {
  const std::string png = WritePngFixture(dir, name + ".png", image);
  const std::string command = std::string(
                                  "/usr/bin/python3 -c \"import sys; from PIL import "
                                  "Image; Image.open(sys.argv[1]).save(sys.argv[2], "
                                  "quality=int(sys.argv[3]))\" '") +
                              png + "' '" + dir.File(name) + "' " + std::to_string(quality);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return dir.File(name);
}

// ---- The Pillow reference (tests/datasets/pillow_reference.h) ------------------------------

// Expects `ours` to equal Pillow's image byte for byte, naming `what` on failure.
void ExpectSameAsPillow(const Image& ours, const Image& pillow, const std::string& what) {
  ASSERT_EQ(ours.height, pillow.height) << what;
  ASSERT_EQ(ours.width, pillow.width) << what;
  ASSERT_EQ(ours.channels, 3) << what;
  const Diff d = Compare(ours, pillow);
  EXPECT_EQ(d.differing, 0u) << what << ": " << d.differing << " of " << ours.pixels.size()
                             << " bytes differ, max |diff| " << d.max_abs;
}

// ---- Pure unit tests ------------------------------------------------------------------------

TEST(ResampleTest, ShorterSideSizeTruncatesLikeTorchvision) {
  EXPECT_EQ(ShorterSideSize(200, 300, 224), (ImageSize{224, 336}));
  EXPECT_EQ(ShorterSideSize(131, 97, 224), (ImageSize{302, 224}));  // 29344 / 97 = 302.5
  EXPECT_EQ(ShorterSideSize(3, 5, 224), (ImageSize{224, 373}));     // 373.33
  EXPECT_EQ(ShorterSideSize(100, 100, 224), (ImageSize{224, 224}));
  EXPECT_EQ(ShorterSideSize(750, 1000, 336), (ImageSize{336, 448}));
  EXPECT_EQ(ShorterSideSize(480, 640, 480), (ImageSize{480, 640}));
}

TEST(ResampleTest, CenterCropRoundsHalvesToEven) {
  Image image(9, 7, 1);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 7; ++x) image.at(y, x, 0) = static_cast<uint8_t>(10 * y + x);
  // Rows: (9 - 4) / 2 = 2.5 rounds to 2; columns: (7 - 4) / 2 = 1.5 rounds to 2.
  Image crop = CenterCrop(image, 4);
  ASSERT_EQ(crop.height, 4);
  ASSERT_EQ(crop.width, 4);
  EXPECT_EQ(crop.at(0, 0, 0), 22);
  EXPECT_EQ(crop.at(3, 3, 0), 55);
  EXPECT_EQ(CenterCrop(image, 5).at(0, 0, 0), 21);  // whole offsets: rows 2, columns 1
  EXPECT_EQ(CenterCrop(image, 7).at(0, 0, 0), 10);  // rows 1, columns 0
  EXPECT_EQ(CenterCrop(image, 6).at(0, 0, 0), 20);  // rows 1.5 -> 2, columns 0.5 -> 0
}

TEST(ResampleTest, CenterCropPadsShortSidesWithZeros) {
  Image image = Image::Filled(2, 3, {200, 100, 50});
  Image crop = CenterCrop(image, 6);
  ASSERT_EQ(crop.height, 6);
  ASSERT_EQ(crop.width, 6);
  // Padding before: rows (6 - 2) / 2 = 2, columns (6 - 3) / 2 = 1 (the odd pixel goes after).
  for (int y = 0; y < 6; ++y) {
    for (int x = 0; x < 6; ++x) {
      const bool inside = y >= 2 && y < 4 && x >= 1 && x < 4;
      EXPECT_EQ(crop.rgb(y, x), inside ? (Rgb{200, 100, 50}) : (Rgb{0, 0, 0})) << y << "," << x;
    }
  }
  // One side padded, the other cropped: a 2-row, 9-column image to 4.
  Image wide(2, 9, 1);
  for (int x = 0; x < 9; ++x) wide.at(0, x, 0) = wide.at(1, x, 0) = static_cast<uint8_t>(x + 1);
  Image mixed = CenterCrop(wide, 4);
  EXPECT_EQ(mixed.at(0, 0, 0), 0);
  EXPECT_EQ(mixed.at(1, 0, 0), 3);  // columns (9 - 4) / 2 = 2.5 rounds to 2
  EXPECT_EQ(mixed.at(3, 3, 0), 0);
}

TEST(ResampleTest, RejectsEmptyImagesAndBadSizes) {
  EXPECT_EQ(ResizeBicubic(Image(), 4, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResizeBicubic(Image(3, 3, 3), 0, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResizeBicubic(Image(3, 3, 3), 4, -1).status().code(), StatusCode::kInvalidArgument);
  Image inconsistent(3, 3, 3);
  inconsistent.pixels.pop_back();
  EXPECT_FALSE(ResizeBicubic(inconsistent, 4, 4).ok());
  EXPECT_EQ(ClipPreprocess(Image(), 224).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ClipPreprocess(Image(8, 8, 3), 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ClipPreprocess(Image(8, 8, 1), 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CenterCrop(Image(), 4).empty());
  EXPECT_TRUE(CenterCrop(Image(3, 3, 3), 0).empty());
}

TEST(ResampleTest, KeepsSizeAndFlatColour) {
  const Image card = TestCard(13, 17, 3, 10, 1);
  auto same = ResizeBicubic(card, 13, 17);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, card);
  // Normalised weights: a flat image stays flat in every direction and scale.
  const Image flat = Image::Filled(13, 17, {7, 128, 251});
  for (auto [h, w] : {std::pair{5, 40}, std::pair{13, 3}, std::pair{50, 17}, std::pair{1, 1}}) {
    auto out = ResizeBicubic(flat, h, w);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, Image::Filled(h, w, {7, 128, 251})) << h << "x" << w;
  }
  auto clip = ClipPreprocess(card, 8);
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(clip->height, 8);
  EXPECT_EQ(clip->width, 8);
  EXPECT_EQ(clip->channels, 3);
}

// ---- Against Pillow -------------------------------------------------------------------------

TEST(ResamplePillowTest, ResizeBicubicMatchesPillowExactly) {
  SKIP_WITHOUT_PILLOW();
  TempDir dir;
  const std::string wide = WritePngFixture(dir, "wide.png", TestCard(200, 300, 3, 40, 2));
  const std::string tall = WritePngFixture(dir, "tall.png", TestCard(131, 97, 3, 25, 3));
  const std::string tiny = WritePngFixture(dir, "tiny.png", TestCard(3, 5, 3, 60, 4));
  struct Case {
    std::string path;
    int w, h;
  };
  const std::vector<Case> cases = {
      {wide, 224, 149},  // shrink both sides, non-integer factors
      {wide, 97, 200},   // horizontal pass only
      {wide, 300, 61},   // vertical pass only
      {wide, 613, 411},  // enlarge both
      {wide, 150, 400},  // shrink one side, enlarge the other
      {wide, 1, 1},     {tall, 64, 64},   {tall, 33, 131}, {tall, 97, 500},
      {tiny, 224, 224}, {tiny, 373, 224}, {tiny, 2, 9},
  };
  PillowJobs jobs(dir);
  for (const Case& c : cases) jobs.Resize(c.path, c.w, c.h);
  const std::vector<Image> pillow = jobs.Run();
  ASSERT_EQ(pillow.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    auto src = ReadImageFile(cases[i].path);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    auto ours = ResizeBicubic(*src, cases[i].h, cases[i].w);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    ExpectSameAsPillow(
        *ours, pillow[i],
        cases[i].path + " to " + std::to_string(cases[i].w) + "x" + std::to_string(cases[i].h));
  }
}

TEST(ResamplePillowTest, ClipPreprocessMatchesPillowOnPng) {
  SKIP_WITHOUT_PILLOW();
  TempDir dir;
  const Image gray = TestCard(220, 150, 1, 30, 5);
  const Image rgba = TestCard(180, 250, 4, 30, 6);
  struct Case {
    std::string path;
    int resolution;
  };
  const std::vector<Case> cases = {
      {WritePngFixture(dir, "w300h200.png", TestCard(200, 300, 3, 40, 7)), 224},
      {WritePngFixture(dir, "w97h131.png", TestCard(131, 97, 3, 25, 8)), 224},
      {WritePngFixture(dir, "w1000h750.png", TestCard(750, 1000, 3, 50, 9)), 224},
      {dir.File("w1000h750.png"), 336},
      {WritePngFixture(dir, "w5h3.png", TestCard(3, 5, 3, 60, 10)), 224},
      {WritePngFixture(dir, "square.png", TestCard(224, 224, 3, 20, 11)), 224},
      {WritePngFixture(dir, "gray.png", gray), 224},
      {WritePngFixture(dir, "rgba.png", rgba), 224},
  };
  PillowJobs jobs(dir);
  for (const Case& c : cases) jobs.Clip(c.path, c.resolution);
  const std::vector<Image> pillow = jobs.Run();
  ASSERT_EQ(pillow.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    auto decoded = ReadImageFile(cases[i].path);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    auto ours = ClipPreprocess(*decoded, cases[i].resolution);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    ExpectSameAsPillow(*ours, pillow[i],
                       cases[i].path + " at " + std::to_string(cases[i].resolution));
  }
}

// ReadImageFile must give Pillow's Image.open(p).convert("RGB") for every PNG kind.
TEST(ResamplePillowTest, PngKindsDecodeLikePillowConvertRgb) {
  SKIP_WITHOUT_PILLOW();
  TempDir dir;
  const int h = 37, w = 53;
  std::vector<std::string> paths;
  auto add = [&](const std::string& name, const std::string& bytes) {
    paths.push_back(WriteFile(dir, name, bytes));
  };
  paths.push_back(WritePngFixture(dir, "rgb8.png", TestCard(h, w, 3, 30, 12)));
  paths.push_back(WritePngFixture(dir, "gray8.png", TestCard(h, w, 1, 30, 13)));
  paths.push_back(WritePngFixture(dir, "gray_alpha8.png", TestCard(h, w, 2, 30, 14)));
  paths.push_back(WritePngFixture(dir, "rgba8.png", TestCard(h, w, 4, 30, 15)));
  add("rgb16.png", EncodePng(w, h, 16, 2, Rows16(TestCard(h, w, 3, 30, 16), 1)));
  add("rgba16.png", EncodePng(w, h, 16, 6, Rows16(TestCard(h, w, 4, 30, 17), 2)));
  add("gray_alpha16.png", EncodePng(w, h, 16, 4, Rows16(TestCard(h, w, 2, 30, 18), 3)));
  // 16-bit gray: values 0..65535, so most are above 255 (Pillow clips those to 255).
  const std::vector<std::string> gray16 = Rows16(TestCard(h, w, 1, 30, 19), 4);
  add("gray16.png", EncodePng(w, h, 16, 0, gray16));
  add("gray16_trns.png", EncodePng(w, h, 16, 0, gray16, "", std::string("\x01\x2c", 2)));
  // 16-bit gray of small values, where clipping and the high byte differ most.
  std::vector<std::string> small16;
  for (int y = 0; y < h; ++y) {
    std::string row;
    for (int x = 0; x < w; ++x) {
      const int v = (x * 13 + y * 7) % 600;
      row += {static_cast<char>(v >> 8), static_cast<char>(v & 255)};
    }
    small16.push_back(row);
  }
  add("gray16_small.png", EncodePng(w, h, 16, 0, small16));
  // Sub-byte grayscale and palettes (packed, most significant bits first).
  for (int depth : {1, 2, 4}) {
    std::vector<std::string> rows;
    for (int y = 0; y < h; ++y) {
      std::string row((w * depth + 7) / 8, '\0');
      for (int x = 0; x < w; ++x) {
        const int v = (x + 3 * y) % (1 << depth);
        row[x * depth / 8] =
            static_cast<char>(row[x * depth / 8] | (v << (8 - depth - x * depth % 8)));
      }
      rows.push_back(row);
    }
    add("gray" + std::to_string(depth) + ".png", EncodePng(w, h, depth, 0, rows));
    std::string plte;
    for (int i = 0; i < (1 << depth); ++i) {
      plte +=
          {static_cast<char>(i * 37), static_cast<char>(255 - i * 11), static_cast<char>(i * 90)};
    }
    add("palette" + std::to_string(depth) + ".png", EncodePng(w, h, depth, 3, rows, plte));
  }
  std::vector<std::string> indices;
  std::string plte;
  for (int i = 0; i < 256; ++i) {
    plte += {static_cast<char>(i), static_cast<char>(i * 3), static_cast<char>(255 - i)};
  }
  for (int y = 0; y < h; ++y) {
    std::string row;
    for (int x = 0; x < w; ++x) row.push_back(static_cast<char>((x * 5 + y * 9) % 256));
    indices.push_back(row);
  }
  add("palette8.png", EncodePng(w, h, 8, 3, indices, plte));
  add("palette8_trns.png", EncodePng(w, h, 8, 3, indices, plte, std::string("\x00\x80\xff", 3)));

  PillowJobs jobs(dir);
  for (const std::string& p : paths) jobs.Decode(p);
  const std::vector<Image> pillow = jobs.Run();
  ASSERT_EQ(pillow.size(), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    auto ours = ReadImageFile(paths[i]);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    ExpectSameAsPillow(*ours, pillow[i], paths[i]);
  }
}

// stb_image and libjpeg (Pillow) decode JPEG slightly differently (IDCT, chroma upsampling,
// YCbCr rounding); the resize itself stays exact on Pillow's decoded pixels.
TEST(ResamplePillowTest, JpegDecodesCloseToPillow) {
  SKIP_WITHOUT_PILLOW();
  TempDir dir;
  struct Case {
    std::string path;
    int resolution;
  };
  const Image photo = TestCard(750, 1000, 3, 50, 20);
  const Image small = TestCard(131, 97, 3, 10, 21);
  PillowJobs encode(dir);
  encode.EncodeJpeg(WritePngFixture(dir, "photo.png", photo), 85, dir.File("photo_pil85.jpg"));
  encode.EncodeJpeg(WritePngFixture(dir, "small.png", small), 95, dir.File("small_pil95.jpg"));
  encode.Run();
  const std::vector<Case> cases = {
      // stb_image_write: 4:2:0 chroma up to quality 90, 4:4:4 above.
      {WriteJpegFixture(dir, "photo_q90.jpg", photo, 90), 224},
      {WriteJpegFixture(dir, "photo_q95.jpg", photo, 95), 224},
      {WriteJpegFixture(dir, "small_q75.jpg", small, 75), 224},
      {WriteJpegFixture(dir, "gray_q90.jpg", TestCard(200, 300, 1, 20, 22), 90), 224},
      // libjpeg (through Pillow), 4:2:0: how most JPEGs in datasets were written.
      {dir.File("photo_pil85.jpg"), 224},
      {dir.File("small_pil95.jpg"), 336},
  };
  PillowJobs jobs(dir);
  for (const Case& c : cases) {
    jobs.Decode(c.path);
    jobs.Clip(c.path, c.resolution);
  }
  const std::vector<Image> pillow = jobs.Run();
  ASSERT_EQ(pillow.size(), 2 * cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Image& pil_decoded = pillow[2 * i];
    const Image& pil_clip = pillow[2 * i + 1];
    auto ours = ReadImageFile(cases[i].path);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();
    ASSERT_EQ(ours->height, pil_decoded.height);
    ASSERT_EQ(ours->width, pil_decoded.width);
    const Diff decode = Compare(*ours, pil_decoded);
    auto clip = ClipPreprocess(*ours, cases[i].resolution);
    ASSERT_TRUE(clip.ok());
    const Diff preprocess = Compare(*clip, pil_clip);
    std::printf(
        "%s: decode differs in %.2f%% of bytes, mean |diff| %.4f, max %d; "
        "after CLIP preprocessing %.2f%%, mean %.4f, max %d\n",
        cases[i].path.c_str(), 100.0 * decode.differing / ours->pixels.size(), decode.mean_abs,
        decode.max_abs, 100.0 * preprocess.differing / clip->pixels.size(), preprocess.mean_abs,
        preprocess.max_abs);
    // Measured (stb_image 2.27 vs Pillow 9.4's libjpeg-turbo): mean |diff| <= 0.1, max 3.
    EXPECT_LT(decode.mean_abs, 0.25) << cases[i].path;
    EXPECT_LE(decode.max_abs, 4) << cases[i].path;
    EXPECT_LT(preprocess.mean_abs, 0.25) << cases[i].path;
    EXPECT_LE(preprocess.max_abs, 4) << cases[i].path;
    // Given Pillow's decoded pixels, the preprocessing is exact.
    auto exact = ClipPreprocess(pil_decoded, cases[i].resolution);
    ASSERT_TRUE(exact.ok());
    ExpectSameAsPillow(*exact, pil_clip, cases[i].path + " from Pillow's pixels");
  }
}

}  // namespace
}  // namespace chromatune::datasets
