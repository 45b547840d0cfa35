#include "experiments/ddp/bucket_plan.h"

#include <gtest/gtest.h>

namespace chromatune::ddp {
namespace {

TEST(BucketPlanTest, ReverseOrderClosedAtCapacity) {
  // 100 floats = 400 bytes; cap 1000 bytes closes a bucket at its third 400-byte parameter.
  const BucketPlan plan = PlanBuckets({100, 100, 100, 100, 100}, 1000);
  ASSERT_EQ(plan.buckets.size(), 2u);
  EXPECT_EQ(plan.buckets[0].params, (std::vector<size_t>{4, 3, 2}));
  EXPECT_EQ(plan.buckets[0].offsets, (std::vector<int64_t>{0, 100, 200}));
  EXPECT_EQ(plan.buckets[0].numel, 300);
  EXPECT_EQ(plan.buckets[1].params, (std::vector<size_t>{1, 0}));
  EXPECT_EQ(plan.buckets[1].numel, 200);
  EXPECT_EQ(plan.bucket_of, (std::vector<size_t>{1, 1, 0, 0, 0}));
  EXPECT_EQ(plan.slot_of, (std::vector<size_t>{1, 0, 2, 1, 0}));
}

TEST(BucketPlanTest, LargeParameterClosesItsBucket) {
  const BucketPlan plan = PlanBuckets({10, 1000000, 10}, 4096);
  ASSERT_EQ(plan.buckets.size(), 2u);
  EXPECT_EQ(plan.buckets[0].params, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(plan.buckets[1].params, (std::vector<size_t>{0}));
}

TEST(BucketPlanTest, ZeroCapGivesOneBucketPerParameter) {
  const BucketPlan plan = PlanBuckets({3, 0, 5}, 0);
  ASSERT_EQ(plan.buckets.size(), 3u);
  EXPECT_EQ(plan.buckets[1].params, (std::vector<size_t>{1}));
  EXPECT_EQ(plan.buckets[1].numel, 0);
}

TEST(BucketPlanTest, NoParametersNoBuckets) {
  const BucketPlan plan = PlanBuckets({}, kDefaultBucketBytes);
  EXPECT_TRUE(plan.buckets.empty());
  EXPECT_TRUE(plan.bucket_of.empty());
}

TEST(BucketPlanTest, DefaultCapKeepsSmallModelInOneBucket) {
  const BucketPlan plan = PlanBuckets({1000, 2000, 3000}, kDefaultBucketBytes);
  ASSERT_EQ(plan.buckets.size(), 1u);
  EXPECT_EQ(plan.buckets[0].numel, 6000);
}

}  // namespace
}  // namespace chromatune::ddp
