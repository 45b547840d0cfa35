#include "coordinator/hdf5_artifact_sink.h"

#include <gtest/gtest.h>

#include "storage/artifact_store.h"
#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator {
namespace {

TEST(Hdf5ArtifactSinkTest, WritesEverySweepIntoOneFile) {
  testing::TempDir dir;
  const std::string path = dir.File("runs/demo.h5");  // the directory is created
  auto sink = OpenHdf5ArtifactSink(path);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  TrialResult r;
  r.metrics["accuracy"] = 0.5;
  r.arrays.push_back({"predictions", {3}, {1.f, 2.f, 3.f}});
  nlohmann::json item = {
      {"key", "k"}, {"method", "noop"}, {"shots", 1}, {"params", nlohmann::json::object()}};
  ASSERT_TRUE((*sink)->WriteTrial("alpha", 7, 2, item, r).ok());
  ASSERT_TRUE((*sink)->WriteTrial("alpha", 8, 1, item, r).ok());
  ASSERT_TRUE((*sink)->WriteTrial("beta", 9, 1, item, r).ok());
  auto store = ArtifactStore::Open(path, "alpha", StoreMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto back = (*store)->ReadTrial(7);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->attempt, 2);
  ASSERT_EQ(back->arrays.size(), 1u);
  EXPECT_EQ(back->arrays[0].data, r.arrays[0].data);
  EXPECT_EQ((*store)->ListTrials()->size(), 2u);
  auto beta = ArtifactStore::Open(path, "beta", StoreMode::kReadOnly);
  ASSERT_TRUE(beta.ok()) << beta.status().ToString();
  EXPECT_EQ(*(*beta)->ListTrials(), std::vector<int64_t>{9});
}

TEST(Hdf5ArtifactSinkTest, UnusableDirectoryIsAnError) {
  auto sink = OpenHdf5ArtifactSink("/proc/no-such-place/demo.h5");
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("/proc/no-such-place"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::coordinator
