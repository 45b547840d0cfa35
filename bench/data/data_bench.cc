// Decoding benchmark, C++ side (bench/data/run.sh runs it next to data_python.py): every file
// listed in --list decoded and preprocessed as a trial does for users' datasets, i.e.
// LoadPreprocessedImages (datasets/image_cache.h: stb_image decoding, ClipPreprocess's Pillow-
// exact bicubic resize of the shorter side and centre crop, on a pool of --threads threads)
// with the disk cache off, followed by CLIP's normalisation to float CHW ((v / 255 - mean) /
// std per channel) in the same pool. Prints one line per measurement: `decode_preprocess ms
// ms ...`, the wall time of the whole list for each of --reps timed repetitions after
// --warmup untimed ones, then `images N` and a checksum line for comparing sides by eye.
//
// Usage: data_bench --list FILE [--threads 2] [--size 224] [--warmup 1] [--reps 5]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "datasets/image.h"
#include "datasets/image_cache.h"

namespace chromatune {
namespace {

using Clock = std::chrono::steady_clock;

// CLIP's normalisation constants (OpenAI's preprocessing, as open_clip has them).
constexpr float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
constexpr float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// images[i] as normalised float CHW into out[i], split over `threads` threads.
void Normalise(const std::vector<datasets::Image>& images, int threads,
               std::vector<std::vector<float>>* out) {
  out->resize(images.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < images.size(); i = next++) {
      const datasets::Image& im = images[i];
      const size_t plane = static_cast<size_t>(im.height) * im.width;
      std::vector<float>& chw = (*out)[i];
      chw.resize(3 * plane);
      for (size_t p = 0; p < plane; ++p) {
        for (int c = 0; c < 3; ++c) {
          chw[c * plane + p] = (im.pixels[p * 3 + c] / 255.0f - kMean[c]) / kStd[c];
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

int Main(int argc, char** argv) {
  std::map<std::string, std::string> args = {
      {"--threads", "2"}, {"--size", "224"}, {"--warmup", "1"}, {"--reps", "5"}};
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (!args.count("--list")) {
    std::fprintf(stderr,
                 "usage: data_bench --list FILE [--threads N] [--size S] [--warmup W] "
                 "[--reps R]\n");
    return 2;
  }
  std::vector<std::string> paths;
  std::ifstream list(args["--list"]);
  for (std::string line; std::getline(list, line);) {
    if (!line.empty()) paths.push_back(line);
  }
  if (paths.empty()) {
    std::fprintf(stderr, "data_bench: %s lists no files\n", args["--list"].c_str());
    return 2;
  }
  datasets::ImageLoadOptions options;
  options.size = std::stoi(args["--size"]);
  options.threads = std::stoi(args["--threads"]);
  options.cache_dir = "";  // decode every time: the cost the disk cache saves
  const int warmup = std::stoi(args["--warmup"]), reps = std::stoi(args["--reps"]);
  std::vector<double> ms;
  double checksum = 0;
  for (int r = 0; r < warmup + reps; ++r) {
    const auto start = Clock::now();
    auto images = datasets::LoadPreprocessedImages(paths, options);
    if (!images.ok()) {
      std::fprintf(stderr, "data_bench: %s\n", images.status().ToString().c_str());
      return 1;
    }
    std::vector<std::vector<float>> tensors;
    Normalise(*images, options.threads, &tensors);
    const auto end = Clock::now();
    if (r >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    checksum = 0;
    for (const auto& t : tensors) checksum += t[t.size() / 2];
  }
  std::printf("decode_preprocess");
  for (double t : ms) std::printf(" %.1f", t);
  std::printf("\nimages %zu\nchecksum %.3f\n", paths.size(), checksum);
  return 0;
}

}  // namespace
}  // namespace chromatune

int main(int argc, char** argv) { return chromatune::Main(argc, argv); }
