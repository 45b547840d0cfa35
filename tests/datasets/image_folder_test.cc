#include "datasets/sources/image_folder.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "datasets/image_io.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

// A non-square PNG (image content is irrelevant to manifests).
void Png(const TempDir& dir, const std::string& name) {
  fs::create_directories(fs::path(dir.File(name)).parent_path());
  ASSERT_TRUE(WritePng(dir.File(name), Image::Filled(6, 9, {10, 20, 30})).ok());
}

// Raw bytes under an image name: readers never decode.
void Raw(const TempDir& dir, const std::string& name, const std::string& bytes = "jpeg") {
  fs::create_directories(fs::path(dir.File(name)).parent_path());
  dir.Write(name, bytes);
}

// train/{golden_retriever,cat}, test/ the same; extra files that are not images.
void MakeFolder(const TempDir& dir) {
  Png(dir, "train/golden_retriever/b.png");
  Raw(dir, "train/golden_retriever/a.JPG");
  Raw(dir, "train/cat/1.jpeg");
  Raw(dir, "train/cat/notes.txt");
  Raw(dir, "train/cat/.hidden.jpg");
  Png(dir, "test/cat/t.png");
  Raw(dir, "test/golden_retriever/u.bmp");
  fs::create_directories(dir.File("train/.ipynb_checkpoints"));
}

TEST(ImageFolderTest, ClassesFromSortedFoldersAndSortedImages) {
  TempDir dir;
  MakeFolder(dir);
  auto m = ReadImageFolder(dir.path());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->classes, (std::vector<std::string>{"cat", "golden retriever"}));
  EXPECT_EQ(m->SplitNames(), (std::vector<std::string>{"train", "test"}));
  ASSERT_EQ(m->Split("train").size(), 3u);
  EXPECT_EQ(m->Split("train")[0].path, "train/cat/1.jpeg");
  EXPECT_EQ(m->Split("train")[0].label, 0);
  EXPECT_EQ(m->Split("train")[1].path, "train/golden_retriever/a.JPG");
  EXPECT_EQ(m->Split("train")[2].path, "train/golden_retriever/b.png");
  EXPECT_EQ(m->Split("train")[2].label, 1);
  EXPECT_EQ(m->FullPath(m->Split("train")[2]), dir.path() + "/train/golden_retriever/b.png");
  EXPECT_EQ(m->Labels("test"), (std::vector<int>{0, 1}));
  EXPECT_EQ(m->ClassCounts("train"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(m->default_eval_splits, (std::vector<std::string>{"test"}));
  EXPECT_TRUE(m->annotation_files.empty());
  EXPECT_TRUE(m->Split("val").empty());
}

TEST(ImageFolderTest, ImageNetLayoutEvaluatesOnValWithClassNamesFile) {
  TempDir dir;
  Raw(dir, "train/n01440764/x.JPEG");
  Raw(dir, "train/n01443537/y.JPEG");
  Raw(dir, "val/n01440764/v.JPEG");
  Raw(dir, "val/n01443537/w.JPEG");
  dir.Write("classnames.txt",
            "n01440764 tench\r\n\nn01443537   goldfish, Carassius auratus \n"
            "n09999999 unused\n");
  auto m = ReadImageFolder(dir.path() + "/");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->classes, (std::vector<std::string>{"tench", "goldfish, Carassius auratus"}));
  EXPECT_EQ(m->default_eval_splits, (std::vector<std::string>{"val"}));
  EXPECT_EQ(m->annotation_files, (std::vector<std::string>{dir.path() + "/classnames.txt"}));
  EXPECT_EQ(m->root, dir.path());
}

TEST(ImageFolderTest, ErrorsNameTheFolderOrFile) {
  {
    TempDir dir;
    auto m = ReadImageFolder(dir.path() + "/nope");
    EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(m.status().message(), "imagefolder " + dir.path() + "/nope: folder not found");
  }
  {
    TempDir dir;
    Raw(dir, "test/cat/a.jpg");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              "imagefolder " + dir.path() +
                  ": no train/ folder (expected ROOT/train/<class>/*, ROOT/test/<class>/* and "
                  "optionally ROOT/val/<class>/*)");
  }
  {
    TempDir dir;
    Raw(dir, "train/cat/a.jpg");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              "imagefolder " + dir.path() + ": neither test/ nor val/: nothing to evaluate on");
  }
  {
    TempDir dir;
    MakeFolder(dir);
    fs::create_directories(dir.File("train/dog"));
    Raw(dir, "train/dog/readme.txt");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              dir.path() + "/train/dog: empty class \"dog\" (no .jpg, .jpeg, .png or .bmp files)");
  }
  {
    TempDir dir;
    MakeFolder(dir);
    Raw(dir, "test/zebra/z.jpg");
    EXPECT_EQ(
        ReadImageFolder(dir.path()).status().message(),
        dir.path() + "/test/zebra: class folder \"zebra\" is not in " + dir.path() + "/train");
  }
  {
    TempDir dir;
    MakeFolder(dir);
    dir.Write("classnames.txt", "cat kitty\n");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              dir.path() + "/classnames.txt: no line for class folder \"golden_retriever\"");
    dir.Write("classnames.txt", "cat kitty\ngolden_retriever\n");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              dir.path() +
                  "/classnames.txt:2: no class name after folder \"golden_retriever\" (lines are "
                  "\"<folder> <class name>\")");
    dir.Write("classnames.txt", "cat kitty\ncat dog\n");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              dir.path() + "/classnames.txt:2: folder \"cat\" is named twice");
    dir.Write("classnames.txt", "cat dog\ngolden_retriever dog\n");
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              "imagefolder " + dir.path() +
                  ": class folders \"cat\" and \"golden_retriever\" have the same class name "
                  "\"dog\"");
  }
  {
    TempDir dir;
    MakeFolder(dir);
    ASSERT_EQ(mkfifo(dir.File("test/cat/fifo.jpg").c_str(), 0600), 0);
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              dir.path() +
                  "/test/cat/fifo.jpg: not a regular file (a device, FIFO, socket or broken link)");
    fs::remove(dir.File("test/cat/fifo.jpg"));
    ASSERT_EQ(mkfifo(dir.File("classnames.txt").c_str(), 0600), 0);
    EXPECT_EQ(ReadImageFolder(dir.path()).status().message(),
              "class-name file is not a regular file (a device, FIFO or socket): " + dir.path() +
                  "/classnames.txt");
  }
}

TEST(ImageFolderTest, ImageExtensions) {
  EXPECT_TRUE(HasImageExtension("a.jpg"));
  EXPECT_TRUE(HasImageExtension("a.b.JPEG"));
  EXPECT_TRUE(HasImageExtension("x.Png"));
  EXPECT_TRUE(HasImageExtension("x.bmp"));
  EXPECT_FALSE(HasImageExtension("x.gif"));
  EXPECT_FALSE(HasImageExtension("jpg"));
  EXPECT_FALSE(HasImageExtension("x.jpg.txt"));
}

}  // namespace
}  // namespace chromatune::datasets
