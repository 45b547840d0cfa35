#include "datasets/image_cache.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "common/regular_file.h"
#include "common/sha256.h"
#include "datasets/image_io.h"
#include "datasets/resample.h"

namespace chromatune::datasets {
namespace {

namespace fs = std::filesystem;

// The cache file of `path` at `size`, or "" when the file cannot be stat'ed (the decoder
// then reports it).
std::string EntryPath(const std::string& path, const ImageLoadOptions& o) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  const auto bytes = fs::file_size(path, ec);
  if (ec) return "";
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) return "";
  std::ostringstream id;
  id << absolute.string() << '\n'
     << bytes << '\n'
     << mtime.time_since_epoch().count() << '\n'
     << o.size << '\n'
     << kPreprocessVersion;
  const std::string hex = Sha256Hex(id.str());
  return (fs::path(o.cache_dir) / hex.substr(0, 2) / (hex + ".rgb")).string();
}

bool ReadEntry(const std::string& entry, int size, Image* out) {
  std::ifstream in(entry, std::ios::binary);
  if (!in) return false;
  Image image(size, size, 3);
  in.read(reinterpret_cast<char*>(image.pixels.data()),
          static_cast<std::streamsize>(image.pixels.size()));
  if (in.gcount() != static_cast<std::streamsize>(image.pixels.size()) || in.peek() != EOF) {
    return false;  // truncated or foreign: decode again
  }
  *out = std::move(image);
  return true;
}

// Best effort: a cache that cannot be written only costs the next trial a decode.
void WriteEntry(const std::string& entry, const Image& image) {
  std::error_code ec;
  fs::create_directories(fs::path(entry).parent_path(), ec);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string tmp = entry + ".tmp" + std::to_string(rng());
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(image.pixels.data()),
              static_cast<std::streamsize>(image.pixels.size()));
    if (!out) {
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, entry, ec);
  if (ec) fs::remove(tmp, ec);
}

Result<Image> DecodeOne(const std::string& path) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, "image file"));
  return ReadImageFile(path);
}

Result<Image> LoadOne(const std::string& path, const ImageLoadOptions& o) {
  const std::string entry = o.cache_dir.empty() ? "" : EntryPath(path, o);
  Image image;
  if (!entry.empty() && ReadEntry(entry, o.size, &image)) return image;
  CT_ASSIGN_OR_RETURN(Image decoded, DecodeOne(path));
  auto ready = ClipPreprocess(decoded, o.size);
  if (!ready.ok()) return ready.status().WithContext(path);
  if (!entry.empty()) WriteEntry(entry, *ready);
  return std::move(ready).value();
}

// `load` applied to every path by a pool of `threads` threads (the calling thread is one of
// them); the first error in path order wins.
template <typename Load>
Result<std::vector<Image>> LoadAll(const std::vector<std::string>& paths, int threads,
                                   const Load& load) {
  std::vector<Image> images(paths.size());
  std::vector<Status> errors(paths.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < paths.size(); i = next++) {
      auto image = load(paths[i]);
      if (image.ok()) {
        images[i] = std::move(image).value();
      } else {
        errors[i] = image.status();
      }
    }
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(paths.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const Status& s : errors) {
    if (!s.ok()) return s;
  }
  return images;
}

}  // namespace

Result<std::vector<Image>> LoadPreprocessedImages(const std::vector<std::string>& paths,
                                                  const ImageLoadOptions& options) {
  if (options.size < 1) return InvalidArgument("image size must be >= 1");
  return LoadAll(paths, options.threads,
                 [&](const std::string& path) { return LoadOne(path, options); });
}

Result<std::vector<Image>> DecodeImages(const std::vector<std::string>& paths, int threads) {
  return LoadAll(paths, threads, &DecodeOne);
}

}  // namespace chromatune::datasets
