#include "datasets/sources/fewshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace chromatune::datasets {
namespace {

// 3 classes; train: 20 of class 0, 18 of class 1, 16 of class 2 (interleaved); val: 6 of
// classes 0 and 1, 2 of class 2.
DatasetManifest Manifest() {
  DatasetManifest m;
  m.source = "csv:/d/m.csv";
  m.classes = {"cat", "dog", "bird"};
  const int train_counts[3] = {20, 18, 16};
  for (int i = 0; i < 20; ++i) {
    for (int c = 0; c < 3; ++c) {
      if (i < train_counts[c]) m.splits["train"].push_back({"t" + std::to_string(i * 3 + c), c});
    }
  }
  const int val_counts[3] = {6, 6, 2};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < val_counts[c]; ++i) m.splits["val"].push_back({"v", c});
  }
  m.splits["test"].push_back({"x", 0});
  return m;
}

FewShotDraw Draw(const DatasetManifest& m, int shots, uint64_t seed,
                 std::vector<std::string> eval = {"test"}) {
  FewShotSpec spec;
  spec.shots = shots;
  spec.data_seed = seed;
  auto d = SampleFewShot(m, spec, eval);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : FewShotDraw{};
}

std::vector<int64_t> CountPerClass(const DatasetManifest& m, const std::string& split,
                                   const std::vector<int64_t>& indices) {
  std::vector<int64_t> counts(m.classes.size(), 0);
  for (int64_t i : indices) ++counts[static_cast<size_t>(m.Split(split)[i].label)];
  return counts;
}

bool Contains(const std::vector<int64_t>& big, const std::vector<int64_t>& small) {
  std::set<int64_t> b(big.begin(), big.end());
  return std::all_of(small.begin(), small.end(), [&](int64_t x) { return b.count(x) > 0; });
}

TEST(FewShotTest, KPerClassFromTrainAndMinK4FromVal) {
  const DatasetManifest m = Manifest();
  const FewShotDraw d1 = Draw(m, 1, 7);
  EXPECT_EQ(CountPerClass(m, "train", d1.train), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(CountPerClass(m, "val", d1.val), (std::vector<int64_t>{1, 1, 1}));
  const FewShotDraw d16 = Draw(m, 16, 7);
  EXPECT_EQ(CountPerClass(m, "train", d16.train), (std::vector<int64_t>{16, 16, 16}));
  // min(K, 4) per class; "bird" has only 2 val examples and gives both.
  EXPECT_EQ(CountPerClass(m, "val", d16.val), (std::vector<int64_t>{4, 4, 2}));
}

TEST(FewShotTest, SameDataSeedSameDrawForEveryMethod) {
  // The draw depends on (manifest, K, unit, data seed) only: a method never enters it.
  const DatasetManifest m = Manifest();
  const FewShotDraw a = Draw(m, 4, 3);
  const FewShotDraw b = Draw(m, 4, 3);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  const FewShotDraw other = Draw(m, 4, 4);
  EXPECT_NE(a.train, other.train);
}

TEST(FewShotTest, TrainNestsAcrossKAndValNestsUpToFour) {
  const DatasetManifest m = Manifest();
  std::vector<FewShotDraw> draws;
  for (int k : {1, 2, 4, 8, 16}) draws.push_back(Draw(m, k, 11));
  for (size_t i = 1; i < draws.size(); ++i) {
    EXPECT_TRUE(Contains(draws[i].train, draws[i - 1].train)) << i;
    EXPECT_TRUE(Contains(draws[i].val, draws[i - 1].val)) << i;
  }
  // K = 4, 8, 16: the same 4-per-class validation set.
  EXPECT_EQ(draws[2].val, draws[3].val);
  EXPECT_EQ(draws[2].val, draws[4].val);
  // The val draw is its own stream, not the train draw's positions.
  EXPECT_NE(draws[0].val, draws[0].train);
}

TEST(FewShotTest, NoValShotsWhenValIsEvaluatedOrAbsent) {
  DatasetManifest m = Manifest();
  EXPECT_TRUE(Draw(m, 4, 1, {"val"}).val.empty());
  EXPECT_TRUE(Draw(m, 0, 1).val.empty());
  m.splits.erase("val");
  EXPECT_TRUE(Draw(m, 4, 1).val.empty());
}

TEST(FewShotTest, TooManyShotsNameTheClassAndTheCounts) {
  const DatasetManifest m = Manifest();
  FewShotSpec spec;
  spec.shots = 17;
  EXPECT_EQ(SampleFewShot(m, spec, {"test"}).status().message(),
            "dataset csv:/d/m.csv: shots: 17 per class, but class \"bird\" has only 16 train "
            "images");
  spec.shots = 19;
  EXPECT_EQ(SampleFewShot(m, spec, {"test"}).status().message(),
            "dataset csv:/d/m.csv: shots: 19 per class, but class \"bird\" has only 16 train "
            "images (1 more class has fewer than 19)");
  spec.shots = 21;
  EXPECT_EQ(CheckShots(m.classes, m.ClassCounts("train"), 21, ShotUnit::kPerClass).message(),
            "21 per class, but class \"bird\" has only 16 train images (2 more classes have "
            "fewer than 21)");
  EXPECT_TRUE(CheckShots(m.classes, m.ClassCounts("train"), 54, ShotUnit::kTotal).ok());
  EXPECT_EQ(
      CheckShots(m.classes, m.ClassCounts("train"), 55, ShotUnit::kTotal, "expressions").message(),
      "55 in total, but train has only 54 expressions");
}

}  // namespace
}  // namespace chromatune::datasets
