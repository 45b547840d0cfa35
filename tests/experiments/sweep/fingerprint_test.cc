#include "experiments/sweep/fingerprint.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/sha256.h"
#include "experiments/sweep/backbone_ref.h"
#include "tests/experiments/sweep/sweep_fixtures.h"

namespace chromatune {
namespace {

using testing::TempDir;

// Sets an environment variable for the scope of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

void WriteFashion(const TempDir& dir, size_t extra) {
  dir.Write("train-images-idx3-ubyte.gz", std::string(10 + extra, 'a'));
  dir.Write("train-labels-idx1-ubyte.gz", "bb");
  dir.Write("t10k-images-idx3-ubyte.gz", "ccc");
  dir.Write("t10k-labels-idx1-ubyte.gz", "dddd");
}

TEST(FingerprintTest, BuiltinBackbonesHashNameAndSpecVersion) {
  auto clip = BackboneFingerprint("builtin:tiny-clip");
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(*clip, Sha256Hex(std::string("tiny-clip\n") + kBuiltinBackboneSpecVersion));
  auto fusion = BackboneFingerprint("builtin:tiny-fusion");
  ASSERT_TRUE(fusion.ok());
  EXPECT_NE(*clip, *fusion);
  EXPECT_FALSE(BackboneFingerprint("builtin:huge").ok());
  // A backbone seed is another pretraining run: another fingerprint per seed.
  auto seed3 = BackboneFingerprint(SeededBackboneName("builtin:tiny-clip", 3));
  ASSERT_TRUE(seed3.ok()) << seed3.status().message();
  EXPECT_EQ(*seed3,
            Sha256Hex(std::string("tiny-clip\n") + kBuiltinBackboneSpecVersion + "\nseed=3"));
  EXPECT_NE(*seed3, *clip);
  EXPECT_NE(*seed3, *BackboneFingerprint(SeededBackboneName("builtin:tiny-clip", 4)));
  EXPECT_NE(*seed3, *BackboneFingerprint(SeededBackboneName("builtin:tiny-fusion", 3)));
  EXPECT_FALSE(BackboneFingerprint("builtin:tiny-clip?seed=").ok());
  EXPECT_FALSE(BackboneFingerprint("builtin:tiny-clip?seed=x").ok());
}

TEST(FingerprintTest, TorchscriptHashesTheFileContents) {
  TempDir dir;
  const std::string path = dir.Write("m.pt", "model-bytes");
  auto fp = BackboneFingerprint("torchscript:" + path);
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(*fp, Sha256Hex("model-bytes"));
  dir.Write("m.pt", "model-bytes2");
  EXPECT_NE(*BackboneFingerprint("torchscript:" + path), *fp);
  auto missing = BackboneFingerprint("torchscript:" + dir.path() + "/nope.pt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "TorchScript backbone file not found: " + dir.path() + "/nope.pt");
  EXPECT_FALSE(BackboneFingerprint("torchscript:" + dir.path()).ok());
}

TEST(FingerprintTest, DevicesAreRefusedWithoutBeingRead) {
  // Reading /dev/zero would never end (on a coordinator I/O thread, before this check).
  auto fp = BackboneFingerprint("torchscript:/dev/zero");
  ASSERT_FALSE(fp.ok());
  EXPECT_EQ(fp.status().message(),
            "TorchScript backbone file is not a regular file (a device, FIFO or socket): "
            "/dev/zero");
  EXPECT_FALSE(DatasetFingerprint("refexp:/dev/zero").ok());
}

TEST(FingerprintTest, FashionUsesNamesAndSizesAndGeneratorVersion) {
  TempDir dir;
  WriteFashion(dir, 0);
  ScopedEnv env("CHROMATUNE_FASHION_MNIST_DIR", dir.path());
  EXPECT_EQ(FashionMnistDir(), dir.path());
  auto plain = DatasetFingerprint("fashion-mnist");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, Sha256Hex(std::string("train-images-idx3-ubyte.gz 10\n"
                                          "train-labels-idx1-ubyte.gz 2\n"
                                          "t10k-images-idx3-ubyte.gz 3\n"
                                          "t10k-labels-idx1-ubyte.gz 4\n") +
                              kFashionGeneratorVersion));
  EXPECT_EQ(*DatasetFingerprint("fashion-ref-shift"), *plain);  // the dataset name is in the key
  WriteFashion(dir, 1);
  EXPECT_NE(*DatasetFingerprint("fashion-mnist"), *plain);
  std::filesystem::remove(dir.path() + "/t10k-labels-idx1-ubyte.gz");
  auto missing = DatasetFingerprint("fashion-mnist");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir.path() + "/t10k-labels-idx1-ubyte.gz"),
            std::string::npos);
  EXPECT_NE(missing.status().message().find("apt-get install dataset-fashion-mnist"),
            std::string::npos);
}

// Users' datasets: the manifest's content and each image's relative path and size, never
// where they are (the details are datasets/sources/summary.h's, tested in tests/datasets).
TEST(FingerprintTest, UsersDatasetsHashContentNotPaths) {
  TempDir dir;
  const std::string split = dir.Write(
      "a/split.json", R"({"train": [["x.png", 0, "cat"]], "test": [["y.png", 0, "cat"]]})");
  dir.Write("a/x.png", "12345");
  dir.Write("a/y.png", "123");
  auto fp = DatasetFingerprint("coop-split:" + split);
  ASSERT_TRUE(fp.ok()) << fp.status().message();
  std::filesystem::rename(dir.path() + "/a", dir.path() + "/b");
  auto moved = DatasetFingerprint("coop-split:" + dir.path() + "/b/split.json");
  ASSERT_TRUE(moved.ok()) << moved.status().message();
  EXPECT_EQ(*moved, *fp);
  // The same split file with its images elsewhere: image_root says where.
  datasets::DatasetOptions options;
  options.image_root = dir.path() + "/images";
  dir.Write("images/x.png", "12345");
  dir.Write("images/y.png", "1234");  // another size
  dir.Write("c/split.json", R"({"train": [["x.png", 0, "cat"]], "test": [["y.png", 0, "cat"]]})");
  auto rooted = DatasetFingerprint("coop-split:" + dir.path() + "/c/split.json", options);
  ASSERT_TRUE(rooted.ok()) << rooted.status().message();
  EXPECT_NE(*rooted, *fp);
  auto missing = DatasetFingerprint("refexp:" + dir.path() + "/none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "JSON file not found: " + dir.path() + "/none.json");
  EXPECT_FALSE(DatasetFingerprint("mnist").ok());
}

}  // namespace
}  // namespace chromatune
