// Test-only: Pillow as the reference for image preprocessing. Jobs are collected, run by
// tests/datasets/pil_preprocess_reference.py under Debian's /usr/bin/python3 in one process,
// and their results read back as Images. Tests using it skip when Pillow is missing
// (SKIP_WITHOUT_PILLOW).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/image.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets::testing {

inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string ReferenceScript() {
  const auto beside = std::filesystem::path(__FILE__).parent_path() / "pil_preprocess_reference.py";
  if (std::filesystem::exists(beside)) return beside.string();
  return "tests/datasets/pil_preprocess_reference.py";  // ctest runs in the repository root
}

inline bool PillowAvailable() {
  static const bool available =
      std::system((std::string(kPython) + " -c 'import PIL' >/dev/null 2>&1").c_str()) == 0;
  return available;
}

inline Result<Image> ReadPpm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  if (!(in >> magic >> w >> h >> maxval) || magic != "P6" || maxval != 255) {
    return Corruption(path + ": not a P6 PPM");
  }
  in.get();  // the single whitespace byte before the samples
  Image image(h, w, 3);
  if (!in.read(reinterpret_cast<char*>(image.pixels.data()), image.pixels.size())) {
    return Corruption(path + ": truncated PPM");
  }
  return image;
}

// Collects jobs for pil_preprocess_reference.py (its docstring defines them), runs them in
// one Python process and reads the results back in order.
class PillowJobs {
 public:
  explicit PillowJobs(const TempDir& dir) : dir_(dir) {}

  void Decode(const std::string& in) { Add("decode\t" + in); }
  void Resize(const std::string& in, int w, int h) {
    Add("resize\t" + in + "\t" + std::to_string(w) + "\t" + std::to_string(h));
  }
  void Clip(const std::string& in, int resolution) {
    Add("clip\t" + in + "\t" + std::to_string(resolution));
  }
  // Pillow's crop of the whole-pixel box [x0, x1) x [y0, y1), then CLIP's preprocessing.
  void CropClip(const std::string& in, const PixelRect& r, int resolution) {
    Add("cropclip\t" + in + "\t" + Rect(r) + "\t" + std::to_string(resolution));
  }
  // `colour` blended over the box with `alpha` (image.h BlendChannel's float arithmetic, in
  // numpy float32), then CLIP's preprocessing.
  void BlendClip(const std::string& in, const PixelRect& r, Rgb colour, float alpha,
                 int resolution) {
    char a[32];
    std::snprintf(a, sizeof(a), "%.9g", alpha);
    Add("blendclip\t" + in + "\t" + Rect(r) + "\t" + std::to_string(colour.r) + "\t" +
        std::to_string(colour.g) + "\t" + std::to_string(colour.b) + "\t" + a + "\t" +
        std::to_string(resolution));
  }
  // Pillow (libjpeg) encodes `in` as the JPEG `out`; Run() returns no image for it.
  void EncodeJpeg(const std::string& in, int quality, const std::string& out) {
    jobs_ += "jpeg\t" + in + "\t" + std::to_string(quality) + "\t" + out + "\n";
  }

  // Runs the jobs; on failure returns an empty vector after recording a test failure.
  std::vector<Image> Run() {
    const std::string jobs = dir_.Write("jobs.tsv", jobs_);
    const std::string log = dir_.File("pillow.log");
    const std::string cmd =
        std::string(kPython) + " " + ReferenceScript() + " " + jobs + " >" + log + " 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      ADD_FAILURE() << cmd << " failed:\n" << text.str();
      return {};
    }
    std::vector<Image> out;
    for (int i = 0; i < count_; ++i) {
      auto image = ReadPpm(OutPath(i));
      if (!image.ok()) {
        ADD_FAILURE() << image.status().ToString();
        return {};
      }
      out.push_back(std::move(*image));
    }
    return out;
  }

 private:
  static std::string Rect(const PixelRect& r) {
    return std::to_string(r.x0) + "\t" + std::to_string(r.y0) + "\t" + std::to_string(r.x1) + "\t" +
           std::to_string(r.y1);
  }
  std::string OutPath(int i) const { return dir_.File("pillow_" + std::to_string(i) + ".ppm"); }
  void Add(const std::string& job) { jobs_ += job + "\t" + OutPath(count_++) + "\n"; }

  const TempDir& dir_;
  std::string jobs_;
  int count_ = 0;
};

struct Diff {
  size_t differing = 0;  // bytes
  int max_abs = 0;
  double mean_abs = 0;
};

// Byte-wise differences of two images of the same size.
inline Diff Compare(const Image& a, const Image& b) {
  Diff d;
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const int e = std::abs(static_cast<int>(a.pixels[i]) - static_cast<int>(b.pixels[i]));
    d.differing += e != 0;
    d.max_abs = std::max(d.max_abs, e);
    sum += e;
  }
  d.mean_abs = a.pixels.empty() ? 0 : sum / a.pixels.size();
  return d;
}

#define SKIP_WITHOUT_PILLOW()                                                                    \
  do {                                                                                           \
    if (!::chromatune::datasets::testing::PillowAvailable())                                     \
      GTEST_SKIP() << ::chromatune::datasets::testing::kPython << " cannot import PIL (Pillow)"; \
  } while (0)

}  // namespace chromatune::datasets::testing
