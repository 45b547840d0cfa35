#include "datasets/fashion_mnist.h"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <utility>

namespace chromatune::datasets {

namespace {

constexpr const char* kDefaultDir = "/usr/share/datasets/fashion-mnist";
constexpr const char* kFix =
    "install it with `apt-get install dataset-fashion-mnist` or point "
    "CHROMATUNE_FASHION_MNIST_DIR at a directory holding the four Fashion-MNIST .gz files";

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": Fashion-MNIST file not found; " + kFix);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return IoError(path + ": read failed");
  return bytes;
}

// Inflates a whole gzip member; a truncated or non-gzip file is kCorruption.
Result<std::vector<uint8_t>> Gunzip(const std::string& path, const std::vector<uint8_t>& in) {
  if (in.size() < 2 || in[0] != 0x1f || in[1] != 0x8b) {
    return Corruption(path + ": not a gzip file (bad magic bytes); " + kFix);
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Internal("zlib inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
  }
  const std::string zlib_msg = zs.msg != nullptr ? zs.msg : "zlib error";
  inflateEnd(&zs);
  // Z_BUF_ERROR with a fresh output chunk means the input ended before the stream did.
  if (rc != Z_STREAM_END) {
    std::string why = rc == Z_BUF_ERROR ? "truncated (gzip stream ends early)"
                                        : std::string("corrupt gzip data (") + zlib_msg + ")";
    return Corruption(path + ": " + why + "; " + kFix);
  }
  return out;
}

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

struct SplitFiles {
  std::string images, labels;
};
SplitFiles FilesOf(FashionSplit split) {
  if (split == FashionSplit::kTrain) {
    return {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};
  }
  return {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
}

Result<std::vector<uint8_t>> ReadIdxGz(const std::string& path, int dims, int64_t* count) {
  CT_ASSIGN_OR_RETURN(std::vector<uint8_t> raw, ReadFileBytes(path));
  CT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, Gunzip(path, raw));
  return ParseIdx(path, bytes, dims, count);
}

}  // namespace

const char* FashionSplitName(FashionSplit split) {
  return split == FashionSplit::kTrain ? "train" : "test";
}

const std::array<std::string, kFashionClasses>& FashionClassWords() {
  static const std::array<std::string, kFashionClasses> kWords = {
      "t-shirt", "trousers", "pullover", "dress", "coat",
      "sandal",  "shirt",    "sneaker",  "bag",   "boot"};
  return kWords;
}

const std::array<std::string, kFashionClasses>& FashionOfficialNames() {
  static const std::array<std::string, kFashionClasses> kNames = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return kNames;
}

std::string FashionMnistDir(const std::string& dir) {
  if (!dir.empty()) return dir;
  const char* env = std::getenv("CHROMATUNE_FASHION_MNIST_DIR");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultDir;
}

Result<std::vector<uint8_t>> ParseIdx(const std::string& name, const std::vector<uint8_t>& bytes,
                                      int expected_dims, int64_t* count) {
  const size_t header = 4 + 4 * static_cast<size_t>(expected_dims);
  if (bytes.size() < header) {
    return Corruption(name + ": header: file too short for an IDX header (" +
                      std::to_string(bytes.size()) + " bytes)");
  }
  uint32_t magic = BigEndian32(bytes.data());
  uint32_t want = 0x00000800u | static_cast<uint32_t>(expected_dims);
  if (magic != want) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), ": magic: 0x%08x, expected 0x%08x (unsigned byte, %d dims)",
                  magic, want, expected_dims);
    return Corruption(name + buf);
  }
  int64_t n = BigEndian32(bytes.data() + 4);
  int64_t per_item = 1;
  for (int d = 1; d < expected_dims; ++d) {
    uint32_t side = BigEndian32(bytes.data() + 4 + 4 * d);
    if (side != kFashionSide) {
      return Corruption(name + ": dimension " + std::to_string(d) + ": " + std::to_string(side) +
                        ", expected " + std::to_string(kFashionSide));
    }
    per_item *= side;
  }
  const size_t expected = header + static_cast<size_t>(n * per_item);
  if (bytes.size() != expected) {
    return Corruption(name + ": count: header says " + std::to_string(n) + " items (" +
                      std::to_string(expected) + " bytes) but the data has " +
                      std::to_string(bytes.size()) + " bytes (truncated file?)");
  }
  *count = n;
  return std::vector<uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
}

Result<FashionMnist> ReadFashionMnist(FashionSplit split, const std::string& dir) {
  const std::string root = FashionMnistDir(dir);
  const SplitFiles files = FilesOf(split);
  const std::string images_path = root + "/" + files.images;
  const std::string labels_path = root + "/" + files.labels;
  FashionMnist out;
  out.split = split;
  int64_t image_count = 0, label_count = 0;
  CT_ASSIGN_OR_RETURN(out.pixels, ReadIdxGz(images_path, 3, &image_count));
  CT_ASSIGN_OR_RETURN(out.labels, ReadIdxGz(labels_path, 1, &label_count));
  if (image_count != label_count) {
    return Corruption(labels_path + ": count: " + std::to_string(label_count) + " labels but " +
                      images_path + " has " + std::to_string(image_count) + " images");
  }
  for (int64_t i = 0; i < label_count; ++i) {
    if (out.labels[i] >= kFashionClasses) {
      return Corruption(labels_path + ": label " + std::to_string(i) + ": value " +
                        std::to_string(out.labels[i]) + " is not a class 0..9");
    }
  }
  out.count = image_count;
  return out;
}

Result<std::shared_ptr<const FashionMnist>> LoadFashionMnist(FashionSplit split,
                                                             const std::string& dir) {
  static std::mutex mu;
  static std::map<std::pair<std::string, int>, std::shared_ptr<const FashionMnist>> cache;
  const auto key = std::make_pair(FashionMnistDir(dir), static_cast<int>(split));
  std::lock_guard<std::mutex> lock(mu);  // one reader at a time: no duplicate 0.3 s decodes
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  CT_ASSIGN_OR_RETURN(FashionMnist data, ReadFashionMnist(split, key.first));
  auto shared = std::make_shared<const FashionMnist>(std::move(data));
  cache.emplace(key, shared);
  return shared;
}

}  // namespace chromatune::datasets
