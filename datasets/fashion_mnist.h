// Fashion-MNIST reader (IDX files, gzip) from Debian's `dataset-fashion-mnist` package.
//
// Files: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz (60,000 items) and
// t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (10,000 items), 28x28 grayscale,
// white item on black (0 = background). The directory is, in order: the `dir` argument when
// non-empty, $CHROMATUNE_FASHION_MNIST_DIR when set, else /usr/share/datasets/fashion-mnist.
//
// Errors name the file and the fix: a missing file → kNotFound with "install it with
// `apt-get install dataset-fashion-mnist` or set CHROMATUNE_FASHION_MNIST_DIR"; a file that is
// not gzip, is truncated, has a wrong magic number or header field, a label > 9, or
// disagrees in count with its partner file → kCorruption naming the file and the field.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::datasets {

inline constexpr int kFashionClasses = 10;
inline constexpr int kFashionSide = 28;  // items are 28x28

enum class FashionSplit { kTrain, kTest };
const char* FashionSplitName(FashionSplit split);  // "train" / "test"

// The one caption-friendly word per class used by every caption, expression and prompt:
// 0 "t-shirt", 1 "trousers", 2 "pullover", 3 "dress", 4 "coat", 5 "sandal", 6 "shirt",
// 7 "sneaker", 8 "bag", 9 "boot". ("t-shirt" keeps its hyphen: tokenizers must treat it as
// one word.)
const std::array<std::string, kFashionClasses>& FashionClassWords();
// The dataset's official names: "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
// "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot".
const std::array<std::string, kFashionClasses>& FashionOfficialNames();

struct FashionMnist {
  FashionSplit split = FashionSplit::kTrain;
  int64_t count = 0;
  std::vector<uint8_t> pixels;  // count * 28 * 28, item i at pixels[i * 784]
  std::vector<uint8_t> labels;  // count, each 0..9

  const uint8_t* item(int64_t i) const { return pixels.data() + i * kFashionSide * kFashionSide; }
};

// The directory resolved as described above.
std::string FashionMnistDir(const std::string& dir = "");

// Reads and decodes one split (no caching). ~0.3 s for the train split.
Result<FashionMnist> ReadFashionMnist(FashionSplit split, const std::string& dir = "");

// ReadFashionMnist, cached per process by (resolved directory, split): the first call reads,
// later calls share the same immutable object. Thread-safe; an error is not cached.
Result<std::shared_ptr<const FashionMnist>> LoadFashionMnist(FashionSplit split,
                                                             const std::string& dir = "");

// Parses an IDX file already gunzipped in memory (exposed for tests). `name` is used in
// error messages; expected_dims is 3 for images (count, 28, 28) and 1 for labels.
Result<std::vector<uint8_t>> ParseIdx(const std::string& name, const std::vector<uint8_t>& bytes,
                                      int expected_dims, int64_t* count);

}  // namespace chromatune::datasets
