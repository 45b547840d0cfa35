#include "datasets/sources/summary.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

void File(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Fingerprint(const std::string& dataset, const DatasetOptions& options = {}) {
  auto s = SummarizeDataset(dataset, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? (*s)->fingerprint : "";
}

void MakeFolder(const std::string& root) {
  File(root + "/train/cat/a.jpg", "aaaa");
  File(root + "/train/dog/b.png", "bb");
  File(root + "/train/dog/c.png", "cc");
  File(root + "/val/cat/v.jpg", "v");
  File(root + "/val/dog/w.jpg", "w");
}

TEST(SummaryTest, ImageFolderCountsAndFingerprintStableUnderMoving) {
  TempDir dir;
  MakeFolder(dir.path() + "/a");
  auto s = SummarizeDataset("imagefolder:" + dir.path() + "/a", {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE((*s)->grounding);
  EXPECT_EQ((*s)->classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ((*s)->splits, (std::vector<std::string>{"train", "val"}));
  EXPECT_EQ((*s)->class_counts.at("train"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ((*s)->default_eval_splits, (std::vector<std::string>{"val"}));
  const std::string fp = (*s)->fingerprint;
  EXPECT_EQ(fp.size(), 64u);
  // The same cached object for a second call.
  EXPECT_EQ(SummarizeDataset("imagefolder:" + dir.path() + "/a", {})->get(), s->get());

  fs::rename(dir.path() + "/a", dir.path() + "/b");
  EXPECT_EQ(Fingerprint("imagefolder:" + dir.path() + "/b"), fp);
  MakeFolder(dir.path() + "/copy");
  EXPECT_EQ(Fingerprint("imagefolder:" + dir.path() + "/copy"), fp);

  // Replacing an image with one of another size (as tools write files: a new file).
  fs::remove(dir.path() + "/b/train/dog/c.png");
  File(dir.path() + "/b/train/dog/c.png", "ccc");
  const std::string resized = Fingerprint("imagefolder:" + dir.path() + "/b");
  EXPECT_NE(resized, fp);
  // Rewritten in place: seen once the cache is cleared (summary.h).
  File(dir.path() + "/b/train/dog/c.png", "cc");
  ClearDatasetSummaryCache();
  EXPECT_EQ(Fingerprint("imagefolder:" + dir.path() + "/b"), fp);
  // A renamed image and a classnames.txt change it too.
  fs::rename(dir.path() + "/b/train/dog/c.png", dir.path() + "/b/train/dog/d.png");
  const std::string renamed = Fingerprint("imagefolder:" + dir.path() + "/b");
  EXPECT_NE(renamed, fp);
  File(dir.path() + "/b/classnames.txt", "cat kitty\ndog puppy\n");
  EXPECT_NE(Fingerprint("imagefolder:" + dir.path() + "/b"), renamed);
}

TEST(SummaryTest, CsvAndCoopHashManifestBytesAndImageSizes) {
  TempDir dir;
  File(dir.path() + "/a/pets.csv", "path,label,split\nimg/x.png,cat,train\nimg/y.png,dog,test\n");
  File(dir.path() + "/a/img/x.png", "12345");
  File(dir.path() + "/a/img/y.png", "123");
  const std::string fp = Fingerprint("csv:" + dir.path() + "/a/pets.csv");
  fs::rename(dir.path() + "/a", dir.path() + "/b");
  EXPECT_EQ(Fingerprint("csv:" + dir.path() + "/b/pets.csv"), fp);
  File(dir.path() + "/b/img/y.png", "1234");
  ClearDatasetSummaryCache();
  EXPECT_NE(Fingerprint("csv:" + dir.path() + "/b/pets.csv"), fp);

  // Images elsewhere: image_root; a missing image is an error naming it.
  File(dir.path() + "/c/pets.csv", "path,label,split\nimg/x.png,cat,train\nimg/y.png,dog,test\n");
  DatasetOptions options;
  options.image_root = dir.path() + "/b";
  EXPECT_NE(Fingerprint("csv:" + dir.path() + "/c/pets.csv", options), fp);
  auto missing = SummarizeDataset("csv:" + dir.path() + "/c/pets.csv", {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "image not found: " + dir.path() + "/c/img/x.png");

  File(dir.path() + "/d/split.json",
       R"({"train": [["x.png", 0, "cat"]], "val": [["v.png", 0, "cat"]],
           "test": [["y.png", 0, "cat"]]})");
  options.image_root = dir.path() + "/d/images";
  File(dir.path() + "/d/images/x.png", "1");
  File(dir.path() + "/d/images/v.png", "1");
  File(dir.path() + "/d/images/y.png", "1");
  auto coop = SummarizeDataset("coop-split:" + dir.path() + "/d/split.json", options);
  ASSERT_TRUE(coop.ok()) << coop.status().ToString();
  EXPECT_EQ((*coop)->splits, (std::vector<std::string>{"train", "val", "test"}));
  EXPECT_EQ((*coop)->default_eval_splits, (std::vector<std::string>{"test"}));
}

TEST(SummaryTest, RefexpCountsPerSplitAndCategory) {
  TempDir dir;
  File(dir.path() + "/refs.json", R"({
    "images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 20},
               {"id": 2, "file_name": "unused.jpg", "width": 40, "height": 20}],
    "annotations": [{"id": 10, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 3},
                    {"id": 11, "image_id": 1, "bbox": [20, 5, 20, 10], "category_id": 5}],
    "categories": [{"id": 3, "name": "cat"}, {"id": 5, "name": "dog"}],
    "refs": [{"image_id": 1, "ann_id": 11, "split": "train", "sentences": [{"sent": "a"}]},
             {"image_id": 1, "ann_id": 10, "split": "testB", "sentences": [{"sent": "b"}]},
             {"image_id": 1, "ann_id": 10, "split": "testA",
              "sentences": [{"sent": "c"}, {"sent": "d"}]}]})");
  File(dir.path() + "/a.jpg", "jpeg");
  auto s = SummarizeDataset("refexp:" + dir.path() + "/refs.json", {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->grounding);
  EXPECT_EQ((*s)->splits, (std::vector<std::string>{"train", "testB", "testA"}));
  EXPECT_EQ((*s)->default_eval_splits, (std::vector<std::string>{"testB", "testA"}));
  EXPECT_EQ((*s)->class_counts.at("testA"), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ((*s)->class_counts.at("train"), (std::vector<int64_t>{0, 1}));
  const std::string fp = (*s)->fingerprint;
  File(dir.path() + "/props.json", R"({"1": [[0, 0, 10, 10]]})");
  DatasetOptions options;
  options.proposals = dir.path() + "/props.json";
  EXPECT_NE(Fingerprint("refexp:" + dir.path() + "/refs.json", options), fp);
  EXPECT_FALSE(SummarizeDataset("fashion-mnist", {}).ok());
}

}  // namespace
}  // namespace chromatune::datasets
