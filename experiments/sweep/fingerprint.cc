#include "experiments/sweep/fingerprint.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/sha256.h"

namespace chromatune {
namespace {

namespace fs = std::filesystem;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

Result<std::string> HashFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFound(what + " not found: " + path);
  if (fs::is_directory(path, ec)) {
    return InvalidArgument(what + " is a directory, not a file: " + path);
  }
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
  if (backbone == "builtin:tiny-clip" || backbone == "builtin:tiny-fusion") {
    return Sha256Hex(backbone.substr(8) + "\n" + kBuiltinBackboneSpecVersion);
  }
  if (StartsWith(backbone, "torchscript:")) {
    return HashFile(backbone.substr(12), "TorchScript backbone file");
  }
  return InvalidArgument("unknown backbone \"" + backbone + "\"");
}

Result<std::string> DatasetFingerprint(const std::string& dataset) {
  if (dataset == "fashion-mnist" || dataset == "fashion-mnist-shift" || dataset == "fashion-ref" ||
      dataset == "fashion-ref-shift") {
    return FashionFingerprint();
  }
  if (StartsWith(dataset, "coop-split:")) {
    return HashFile(dataset.substr(11), "CoOp split file");
  }
  if (StartsWith(dataset, "refexp:")) {
    return HashFile(dataset.substr(7), "referring-expression file");
  }
  return InvalidArgument("unknown dataset \"" + dataset + "\"");
}

}  // namespace chromatune
