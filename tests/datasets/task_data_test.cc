#include "datasets/task_data.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "datasets/fashion_pools.h"
#include "datasets/image_io.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

TEST(TaskDataTest, FashionMnistSupportAndFixedEvaluation) {
  TaskDataOptions o;
  o.eval_size = 100;
  auto task = LoadClassificationTask("fashion-mnist", {2, ShotUnit::kPerClass, 5}, o);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(task->class_names.size(), 10u);
  EXPECT_EQ(task->class_names[7], "sneaker");
  ASSERT_EQ(task->support.images.size(), 20u);
  EXPECT_EQ(task->support.labels.size(), 20u);
  EXPECT_EQ(task->support.labels[3], 1);
  EXPECT_EQ(task->support.images[0].height, 56);
  ASSERT_EQ(task->eval.images.size(), 100u);
  std::vector<int> per_class(10, 0);
  for (int l : task->eval.labels) ++per_class[l];
  for (int c : per_class) EXPECT_EQ(c, 10);

  // Another method, same data seed: the identical support set; another seed: a different one.
  auto same = LoadClassificationTask("fashion-mnist", {2, ShotUnit::kPerClass, 5}, o);
  auto other = LoadClassificationTask("fashion-mnist", {2, ShotUnit::kPerClass, 6}, o);
  ASSERT_TRUE(same.ok() && other.ok());
  EXPECT_EQ(same->support.source_ids, task->support.source_ids);
  EXPECT_EQ(same->support.images, task->support.images);
  EXPECT_NE(other->support.source_ids, task->support.source_ids);
  EXPECT_EQ(other->eval.source_ids, task->eval.source_ids);  // evaluation never moves
}

TEST(TaskDataTest, ShiftRendersTheSameItemsDifferently) {
  TaskDataOptions o;
  o.eval_size = 20;
  o.image_size = 64;
  auto plain = LoadClassificationTask("fashion-mnist", {1, ShotUnit::kTotal, 2}, o);
  auto shift = LoadClassificationTask("fashion-mnist-shift", {1, ShotUnit::kTotal, 2}, o);
  ASSERT_TRUE(plain.ok() && shift.ok());
  ASSERT_EQ(plain->support.images.size(), 1u);
  EXPECT_EQ(plain->support.source_ids, shift->support.source_ids);
  EXPECT_EQ(plain->eval.source_ids, shift->eval.source_ids);
  EXPECT_EQ(shift->eval.images[0].width, 64);
  EXPECT_NE(plain->eval.images[0], shift->eval.images[0]);
}

TEST(TaskDataTest, FashionRefGrounding) {
  TaskDataOptions o;
  o.eval_size = 30;
  o.grounding_support_pool = 200;
  auto task = LoadGroundingTask("fashion-ref", {1, ShotUnit::kPerClass, 3}, o);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  ASSERT_EQ(task->support.size(), 10u);
  for (size_t k = 0; k < 10; ++k) EXPECT_EQ(task->support[k].target_label, static_cast<int>(k));
  EXPECT_EQ(task->eval.size(), 30u);
  auto total = LoadGroundingTask("fashion-ref-shift", {4, ShotUnit::kTotal, 3}, o);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->support.size(), 4u);
  EXPECT_TRUE(IsGroundingDataset("fashion-ref-shift"));
  EXPECT_TRUE(IsGroundingDataset("refexp:/x.json"));
  EXPECT_FALSE(IsGroundingDataset("fashion-mnist"));
}

TEST(TaskDataTest, UserDatasetsByPath) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("im"));
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < 2; ++c) {
      ASSERT_TRUE(WritePng(dir.File("im/" + std::to_string(c) + "_" + std::to_string(k) + ".png"),
                           Image::Filled(10, 10, {static_cast<uint8_t>(100 * c), 0, 0}))
                      .ok());
    }
  }
  const std::string split = dir.Write("split.json", R"({
    "train": [["im/0_0.png", 0, "a"], ["im/1_0.png", 1, "b"], ["im/0_1.png", 0, "a"],
              ["im/1_1.png", 1, "b"]],
    "test": [["im/0_2.png", 0, "a"], ["im/1_2.png", 1, "b"]]})");
  auto task = LoadClassificationTask("coop-split:" + split, {1, ShotUnit::kPerClass, 0}, {});
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(task->class_names, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(task->support.images.size(), 2u);
  EXPECT_EQ(task->support.images[1], Image::Filled(56, 56, {100, 0, 0}));
  EXPECT_EQ(task->eval.labels, (std::vector<int>{0, 1}));

  const std::string refs = dir.Write("refs.json", R"({
    "images": [{"id": 1, "file_name": "im/0_0.png", "width": 10, "height": 10}],
    "annotations": [{"id": 1, "image_id": 1, "bbox": [0, 0, 5, 5], "category_id": 1},
                    {"id": 2, "image_id": 1, "bbox": [5, 5, 5, 5], "category_id": 2}],
    "refs": [{"image_id": 1, "ann_id": 2, "split": "train", "sentences": [{"sent": "right"}]},
             {"image_id": 1, "ann_id": 1, "split": "val", "sentences": [{"sent": "left"}]}]})");
  auto grounding = LoadGroundingTask("refexp:" + refs, {1, ShotUnit::kTotal, 0}, {});
  ASSERT_TRUE(grounding.ok()) << grounding.status().ToString();
  ASSERT_EQ(grounding->support.size(), 1u);
  EXPECT_EQ(grounding->support[0].query, "right");
  ASSERT_EQ(grounding->eval.size(), 1u);
  EXPECT_EQ(grounding->eval[0].target, 0);
  // At the image's own resolution (the methods crop and mark there, then preprocess).
  EXPECT_FLOAT_EQ(grounding->eval[0].proposals[0].x1, 5.0f);
  ASSERT_NE(grounding->eval[0].original, nullptr);
  EXPECT_EQ(grounding->eval[0].original->width, 10);
}

TEST(TaskDataTest, ErrorsNameTheDataset) {
  auto unknown = LoadClassificationTask("imagenet", {1, ShotUnit::kPerClass, 0}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("dataset: \"imagenet\""), std::string::npos);
  auto wrong_task = LoadGroundingTask("fashion-mnist", {1, ShotUnit::kPerClass, 0}, {});
  EXPECT_FALSE(wrong_task.ok());
  auto missing =
      LoadClassificationTask("coop-split:/no/such.json", {1, ShotUnit::kPerClass, 0}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/no/such.json"), std::string::npos);
  TaskDataOptions o;
  o.image_size = 8;
  EXPECT_NE(LoadClassificationTask("fashion-mnist", {}, o).status().message().find("image_size"),
            std::string::npos);
  TaskDataOptions fewer;
  fewer.eval_size = 10;
  auto too_many = LoadClassificationTask("fashion-mnist", {7000, ShotUnit::kPerClass, 0}, fewer);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("dataset fashion-mnist: shots: 7000 per class"),
            std::string::npos)
      << too_many.status().message();
}

// Support shots come from the support pool, validation shots and the `val` split from the val
// pool, and only the test split is reported by default (fashion_pools.h).
TEST(TaskDataTest, FashionMnistDrawsFromItsPools) {
  auto train = LoadFashionMnist(FashionSplit::kTrain);
  ASSERT_TRUE(train.ok());
  const FashionTrainPools pools = MakeFashionTrainPools((*train)->labels);
  const std::set<int64_t> support(pools.support.begin(), pools.support.end());
  const std::set<int64_t> val(pools.val.begin(), pools.val.end());
  TaskDataOptions o;
  o.eval_size = 100;
  for (uint64_t seed : {1, 2, 3}) {
    auto task = LoadClassificationTask("fashion-mnist", {16, ShotUnit::kPerClass, seed}, o);
    ASSERT_TRUE(task.ok()) << task.status().ToString();
    ASSERT_EQ(task->support.source_ids.size(), 160u);
    for (int64_t id : task->support.source_ids) EXPECT_TRUE(support.count(id)) << id;
    ASSERT_EQ(task->val.source_ids.size(), 40u);  // min(K, 4) per class
    for (int64_t id : task->val.source_ids) EXPECT_TRUE(val.count(id)) << id;
    EXPECT_TRUE(task->eval_split.empty());  // the default: the test subset as "accuracy"
  }

  o.dataset.eval.splits = {"val", "test"};
  auto both = LoadClassificationTask("fashion-mnist", {4, ShotUnit::kPerClass, 1}, o);
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->eval_split, "val");
  ASSERT_EQ(both->eval.source_ids.size(), 100u);
  for (int64_t id : both->eval.source_ids) EXPECT_TRUE(val.count(id)) << id;
  std::vector<int> per_class(10, 0);
  for (int l : both->eval.labels) ++per_class[l];
  EXPECT_EQ(per_class, std::vector<int>(10, 10));
  ASSERT_EQ(both->more_evals.size(), 1u);
  EXPECT_EQ(both->more_evals[0].first, "test");
  TaskDataOptions test_only;
  test_only.eval_size = o.eval_size;
  auto plain = LoadClassificationTask("fashion-mnist", {4, ShotUnit::kPerClass, 1}, test_only);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(both->more_evals[0].second.source_ids, plain->eval.source_ids);
  // Val evaluated: no validation shots drawn from it.
  EXPECT_TRUE(both->val.images.empty());
}

// eval.domain: shift keeps the plain support and renders the evaluated items shifted.
TEST(TaskDataTest, EvalDomainShiftEvaluatesShiftedAfterPlainSupport) {
  TaskDataOptions o;
  o.eval_size = 20;
  auto plain = LoadClassificationTask("fashion-mnist", {1, ShotUnit::kPerClass, 2}, o);
  auto shifted_set = LoadClassificationTask("fashion-mnist-shift", {1, ShotUnit::kPerClass, 2}, o);
  o.dataset.eval.domain = "shift";
  auto dg = LoadClassificationTask("fashion-mnist", {1, ShotUnit::kPerClass, 2}, o);
  ASSERT_TRUE(plain.ok() && shifted_set.ok() && dg.ok());
  EXPECT_EQ(dg->support.images, plain->support.images);
  EXPECT_EQ(dg->eval.images, shifted_set->eval.images);
  EXPECT_NE(dg->eval.images, plain->eval.images);

  auto ref_plain = LoadGroundingTask("fashion-ref", {1, ShotUnit::kPerClass, 2}, o);
  TaskDataOptions p;
  p.eval_size = 20;
  auto ref_default = LoadGroundingTask("fashion-ref", {1, ShotUnit::kPerClass, 2}, p);
  auto ref_shift = LoadGroundingTask("fashion-ref-shift", {1, ShotUnit::kPerClass, 2}, p);
  ASSERT_TRUE(ref_plain.ok() && ref_default.ok() && ref_shift.ok());
  ASSERT_EQ(ref_plain->eval.size(), ref_shift->eval.size());
  EXPECT_TRUE(ref_plain->eval[0].image == ref_shift->eval[0].image);
  EXPECT_FALSE(ref_plain->eval[0].image == ref_default->eval[0].image);
  EXPECT_TRUE(ref_plain->support[0].image == ref_default->support[0].image);
}

}  // namespace
}  // namespace chromatune::datasets
