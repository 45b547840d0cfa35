#include "coordinator/hdf5_artifact_sink.h"

#include <gtest/gtest.h>

#include "storage/artifact_store.h"
#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator {
namespace {

TEST(Hdf5ArtifactSinkTest, WritesArraysPerSweepFile) {
  testing::TempDir dir;
  auto sink = OpenHdf5ArtifactSink(dir.File("artifacts"));
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  TrialResult r;
  r.metrics["accuracy"] = 0.5;
  r.arrays.push_back({"predictions", {3}, {1.f, 2.f, 3.f}});
  nlohmann::json item = {
      {"key", "k"}, {"method", "noop"}, {"shots", 1}, {"params", nlohmann::json::object()}};
  ASSERT_TRUE((*sink)->WriteTrial("alpha", 7, 2, item, r).ok());
  ASSERT_TRUE((*sink)->WriteTrial("alpha", 8, 1, item, r).ok());
  auto path = ArtifactStore::PathFor(dir.File("artifacts"), "alpha");
  ASSERT_TRUE(path.ok());
  auto store = ArtifactStore::Open(*path, "alpha", StoreMode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto back = (*store)->ReadTrial(7);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->attempt, 2);
  ASSERT_EQ(back->arrays.size(), 1u);
  EXPECT_EQ(back->arrays[0].data, r.arrays[0].data);
  EXPECT_EQ((*store)->ListTrials()->size(), 2u);
}

TEST(Hdf5ArtifactSinkTest, UnusableDirectoryIsAnError) {
  auto sink = OpenHdf5ArtifactSink("/proc/no-such-place/artifacts");
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("/proc/no-such-place"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::coordinator
