#include "experiments/sweep/fingerprint.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "common/regular_file.h"
#include "common/sha256.h"
#include "datasets/sources/summary.h"
#include "experiments/sweep/backbone_ref.h"

namespace chromatune {
namespace {

namespace fs = std::filesystem;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

Result<std::string> HashFile(const std::string& path, const std::string& what) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, what));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + what + " " + path);
  Sha256 hash;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    hash.Update(buffer, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return IoError("error while reading " + what + " " + path);
  return hash.HexDigest();
}

// HashFile, remembered per (path, size, modification time) for the life of the process: a
// sweep's trials share one checkpoint, and hashing a 600 MB file per trial would cost
// seconds each. A file rewritten in place changes its mtime, so it is hashed again.
Result<std::string> CachedHashFile(const std::string& path, const std::string& what) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) return HashFile(path, what);  // the error, worded by HashFile
  const std::string key =
      path + '\n' + std::to_string(size) + '\n' + std::to_string(mtime.time_since_epoch().count());
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  CT_ASSIGN_OR_RETURN(std::string hex, HashFile(path, what));
  std::lock_guard<std::mutex> lock(mu);
  cache[key] = hex;
  return hex;
}

Result<std::string> FashionFingerprint() {
  const std::string dir = FashionMnistDir();
  Sha256 hash;
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    const std::string path = (fs::path(dir) / name).string();
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
      return NotFound("Fashion-MNIST file " + path + " not found (" + ec.message() +
                      "): apt-get install dataset-fashion-mnist, or set "
                      "CHROMATUNE_FASHION_MNIST_DIR");
    }
    hash.Update(std::string(name) + " " + std::to_string(size) + "\n");
  }
  hash.Update(kFashionGeneratorVersion);
  return hash.HexDigest();
}

}  // namespace

std::string FashionMnistDir() {
  const char* env = std::getenv("CHROMATUNE_FASHION_MNIST_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  return "/usr/share/datasets/fashion-mnist";
}

Result<std::string> BackboneFingerprint(const std::string& backbone) {
  for (const char* builtin : {"builtin:tiny-clip", "builtin:tiny-fusion"}) {
    const std::string plain = builtin;
    if (backbone == plain) return Sha256Hex(plain.substr(8) + "\n" + kBuiltinBackboneSpecVersion);
    // SeededBackboneName's form: another pretraining run, so other weights.
    const std::string prefix = plain + "?seed=";
    if (StartsWith(backbone, prefix)) {
      const std::string seed = backbone.substr(prefix.size());
      if (seed.empty() || seed.find_first_not_of("0123456789") != std::string::npos) break;
      return Sha256Hex(plain.substr(8) + "\n" + kBuiltinBackboneSpecVersion + "\nseed=" + seed);
    }
  }
  if (StartsWith(backbone, "torchscript:")) {
    return CachedHashFile(backbone.substr(12), "TorchScript backbone file");
  }
  if (StartsWith(backbone, "clip:")) {
    CT_ASSIGN_OR_RETURN(ClipBackboneRef ref, ParseClipBackbone(backbone));
    CT_ASSIGN_OR_RETURN(std::string weights, CachedHashFile(ref.checkpoint, "CLIP checkpoint"));
    CT_ASSIGN_OR_RETURN(std::string vocab, CachedHashFile(ref.vocab, "BPE vocabulary"));
    return Sha256Hex("clip\n" + weights + "\n" + vocab + "\n" +
                     (ref.quick_gelu ? "quick_gelu" : "gelu"));
  }
  return InvalidArgument("unknown backbone \"" + backbone + "\"");
}

Result<std::string> DatasetFingerprint(const std::string& dataset,
                                       const datasets::DatasetOptions& options) {
  if (dataset == "fashion-mnist" || dataset == "fashion-mnist-shift" || dataset == "fashion-ref" ||
      dataset == "fashion-ref-shift") {
    return FashionFingerprint();
  }
  if (datasets::IsUserDataset(dataset)) {
    CT_ASSIGN_OR_RETURN(auto summary, datasets::SummarizeDataset(dataset, options));
    return summary->fingerprint;
  }
  return InvalidArgument("unknown dataset \"" + dataset + "\"");
}

}  // namespace chromatune
