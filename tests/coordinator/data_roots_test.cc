// --data-root (issue 18 item 8): dataset and backbone paths must resolve under a root;
// symlinks count where they lead, and a sibling that shares a root's prefix is outside.
#include "coordinator/data_roots.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class DataRootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.File("data/images"));
    fs::create_directories(dir_.File("data2"));
    std::ofstream(dir_.File("data/train.csv")) << "path,label\n";
    std::ofstream(dir_.File("data2/train.csv")) << "path,label\n";
    std::ofstream(dir_.File("secret.txt")) << "x";
    fs::create_symlink(dir_.File("secret.txt"), dir_.File("data/link.csv"));
  }

  SweepSpec Spec(const std::string& dataset, const std::string& backbone = "builtin:tiny-clip") {
    SweepSpec spec;
    spec.origin = "sweep.yaml";
    spec.dataset = dataset;
    spec.backbone = backbone;
    return spec;
  }

  TempDir dir_;
};

TEST_F(DataRootsTest, PathsUnderARootPassOthersAreRefused) {
  const std::vector<std::string> roots = {dir_.File("data")};
  EXPECT_TRUE(CheckDataRoots(Spec("csv:" + dir_.File("data/train.csv")), roots).ok());
  EXPECT_TRUE(CheckDataRoots(Spec("fashion-mnist"), roots).ok()) << "builtin: no path";
  EXPECT_TRUE(CheckDataRoots(Spec("imagefolder:" + dir_.File("data/images")), roots).ok());

  auto outside = CheckDataRoots(Spec("csv:" + dir_.File("secret.txt")), roots);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(outside.message().find("--data-root"), std::string::npos);

  // A prefix is not a parent: data2 is not under data.
  EXPECT_FALSE(CheckDataRoots(Spec("csv:" + dir_.File("data2/train.csv")), roots).ok());
  // Up and out by "..".
  EXPECT_FALSE(CheckDataRoots(Spec("csv:" + dir_.File("data/../secret.txt")), roots).ok());
  // A symlink inside a root that leads out of it.
  EXPECT_FALSE(CheckDataRoots(Spec("csv:" + dir_.File("data/link.csv")), roots).ok());
  // A path that does not exist outside the roots: refused without saying whether it exists.
  auto missing = CheckDataRoots(Spec("csv:/nonexistent/x.csv"), roots);
  EXPECT_EQ(missing.code(), StatusCode::kPermissionDenied);
  // Backbones, image roots and proposals too.
  EXPECT_FALSE(
      CheckDataRoots(Spec("fashion-mnist", "torchscript:" + dir_.File("secret.txt")), roots).ok());
  EXPECT_FALSE(CheckDataRoots(Spec("fashion-mnist", "clip:" + dir_.File("secret.txt") +
                                                        "?vocab=" + dir_.File("data/train.csv")),
                              roots)
                   .ok());
  SweepSpec with_root = Spec("csv:" + dir_.File("data/train.csv"));
  with_root.dataset_options.image_root = dir_.File("data2");
  EXPECT_FALSE(CheckDataRoots(with_root, roots).ok());
  // Several roots: any one will do. None: anything goes (the default).
  EXPECT_TRUE(CheckDataRoots(with_root, {dir_.File("data"), dir_.File("data2")}).ok());
  EXPECT_TRUE(CheckDataRoots(Spec("csv:" + dir_.File("secret.txt")), {}).ok());
}

TEST_F(DataRootsTest, ARootGivenThroughASymlinkCountsWhereItLeads) {
  fs::create_directory_symlink(dir_.File("data"), dir_.File("data-link"));
  EXPECT_TRUE(
      CheckDataRoots(Spec("csv:" + dir_.File("data/train.csv")), {dir_.File("data-link")}).ok());
  EXPECT_TRUE(
      CheckDataRoots(Spec("csv:" + dir_.File("data-link/train.csv")), {dir_.File("data")}).ok());
}

}  // namespace
}  // namespace chromatune::coordinator
