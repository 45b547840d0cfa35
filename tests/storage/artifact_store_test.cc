#include "storage/artifact_store.h"

#include "common/sha256.h"

#include <hdf5.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

TrialResult SampleResult(float base, int64_t predictions = 10) {
  TrialResult r;
  r.metrics["accuracy"] = 0.5;
  r.curves = {{"train_loss", 1, 2.5}, {"train_loss", 2, 1.25}, {"val_acc", 1, 0.4}};
  NamedArray pred{"predictions", {predictions}, {}};
  for (int64_t i = 0; i < predictions; ++i) pred.data.push_back(base + static_cast<float>(i));
  NamedArray ctx{"context_vectors", {4, 3}, {}};
  for (int i = 0; i < 12; ++i) ctx.data.push_back(base * i);
  NamedArray cpt{"cpt_color_scores", {2, 5}, std::vector<float>(10, base)};
  r.arrays = {pred, ctx, cpt};
  r.info = {{"nearest_words", {"photo", "of"}}};
  r.wall_seconds = 3.25;
  return r;
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ArtifactStore> OpenStore(StoreMode mode = StoreMode::kReadWrite) {
    auto store = ArtifactStore::Open(path_, "sweep-a", mode);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  testing::ScratchDir dir_;
  std::string path_ = dir_.File("sweep-a.h5");
  nlohmann::json item_ = testing::PlanItem("key-1", "coop", 4, 2);
};

TEST_F(ArtifactStoreTest, WritesAndReadsATrialBack) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const TrialResult r = SampleResult(1.5f);
  ASSERT_TRUE(store->WriteTrial(7, 2, item_, r).ok());
  auto ids = store->ListTrials();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<int64_t>{7});
  auto back = store->ReadTrial(7);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->trial_id, 7);
  EXPECT_EQ(back->attempt, 2);
  EXPECT_EQ(back->item, item_);
  ASSERT_EQ(back->curves.size(), 3u);
  EXPECT_EQ(back->curves[1].name, "train_loss");
  EXPECT_EQ(back->curves[1].step, 2);
  EXPECT_EQ(back->curves[1].value, 1.25);
  EXPECT_EQ(back->curves[2].name, "val_acc");
  ASSERT_EQ(back->arrays.size(), 3u);  // by name: context_vectors, cpt_color_scores, predictions
  EXPECT_EQ(back->arrays[0].name, "context_vectors");
  EXPECT_EQ(back->arrays[0].shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(back->arrays[0].data, r.arrays[1].data);
  EXPECT_EQ(back->arrays[2].data, r.arrays[0].data);
  EXPECT_EQ(store->ReadTrial(8).status().code(), StatusCode::kNotFound);
}

TEST_F(ArtifactStoreTest, RewritingATrialReplacesIt) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->WriteTrial(1, 1, item_, SampleResult(1.0f)).ok());
  ASSERT_TRUE(store->WriteTrial(1, 2, item_, SampleResult(9.0f, 3)).ok());
  auto back = store->ReadTrial(1);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->attempt, 2);
  EXPECT_EQ(back->arrays[2].data, (std::vector<float>{9, 10, 11}));
}

TEST_F(ArtifactStoreTest, ScalarAndEmptyArraysAndLargeArraysRoundTrip) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  TrialResult r;
  r.arrays.push_back({"scalar", {}, {42.0f}});
  r.arrays.push_back({"empty", {0, 16}, {}});
  NamedArray big{"big", {600, 300}, std::vector<float>(180000)};
  for (size_t i = 0; i < big.data.size(); ++i) big.data[i] = static_cast<float>(i % 977);
  r.arrays.push_back(big);
  ASSERT_TRUE(store->WriteTrial(3, 1, item_, r).ok());
  auto back = store->ReadTrial(3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->arrays.size(), 3u);
  EXPECT_EQ(back->arrays[0].name, "big");
  EXPECT_EQ(back->arrays[0].data, big.data);
  EXPECT_EQ(back->arrays[1].shape, (std::vector<int64_t>{0, 16}));
  EXPECT_TRUE(back->arrays[1].data.empty());
  EXPECT_TRUE(back->arrays[2].shape.empty());
  EXPECT_EQ(back->arrays[2].data, std::vector<float>{42.0f});
  EXPECT_TRUE(back->curves.empty());
  ASSERT_TRUE(store->WriteTrial(4, 1, item_, SampleResult(1.0f)).ok());

  // Chunks stay well under the 1 MiB chunk cache and are compressed.
  hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t dset = H5Dopen2(file, "trials/trial-00000003/arrays/big", H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  hid_t dcpl = H5Dget_create_plist(dset);
  hsize_t chunk[2] = {0, 0};
  ASSERT_EQ(H5Pget_chunk(dcpl, 2, chunk), 2);
  EXPECT_LE(chunk[0] * chunk[1] * sizeof(float), 256u * 1024u);
  EXPECT_GT(H5Pget_nfilters(dcpl), 0);
  H5Pclose(dcpl);
  H5Dclose(dset);
  // Curves are extendible.
  dset = H5Dopen2(file, "trials/trial-00000004/curves/train_loss/value", H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  hid_t space = H5Dget_space(dset);
  hsize_t dims[1], max[1];
  H5Sget_simple_extent_dims(space, dims, max);
  EXPECT_EQ(dims[0], 2u);
  EXPECT_EQ(max[0], H5S_UNLIMITED);
  H5Sclose(space);
  H5Dclose(dset);
  H5Fclose(file);
}

TEST_F(ArtifactStoreTest, BadArraysAreRefusedBeforeAnythingIsWritten) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  TrialResult shape;
  shape.arrays.push_back({"predictions", {3, 2}, {1, 2, 3}});
  Status s = store->WriteTrial(1, 1, item_, shape);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "trial 1: array predictions has shape of 6 elements but 3 values");
  TrialResult slash;
  slash.arrays.push_back({"a/b", {1}, {1}});
  EXPECT_EQ(store->WriteTrial(1, 1, item_, slash).code(), StatusCode::kInvalidArgument);
  TrialResult dup;
  dup.arrays.push_back({"x", {1}, {1}});
  dup.arrays.push_back({"x", {1}, {2}});
  EXPECT_EQ(store->WriteTrial(1, 1, item_, dup).code(), StatusCode::kInvalidArgument);
  // One bad trial in a batch: none of the batch is written.
  const TrialResult good = SampleResult(1.0f);
  Status batch = store->WriteTrials({{1, 1, item_, good}, {2, 1, item_, shape}});
  EXPECT_EQ(batch.code(), StatusCode::kInvalidArgument);
  auto ids = store->ListTrials();
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

TEST_F(ArtifactStoreTest, ReopensAndChecksTheSweep) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->WriteTrial(5, 1, item_, SampleResult(2.0f)).ok());
  }
  auto any = ArtifactStore::Open(path_, "", StoreMode::kReadOnly);
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  EXPECT_EQ((*any)->sweep(), "sweep-a");
  EXPECT_EQ((*any)->WriteTrial(6, 1, item_, SampleResult(1.0f)).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(*(*any)->ListTrials(), std::vector<int64_t>{5});
  auto other = ArtifactStore::Open(path_, "sweep-b", StoreMode::kReadWrite);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("sweep-a"), std::string::npos);
}

TEST_F(ArtifactStoreTest, PathForKeepsEveryNameInsideTheDirectory) {
  auto p = ArtifactStore::PathFor("/runs", "fmnist-coop_v1.2");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "/runs/fmnist-coop_v1.2.h5");
  auto up = ArtifactStore::PathFor("/runs", "../etc");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(*up, "/runs/_._etc-" + Sha256Hex("../etc").substr(0, 12) + ".h5");
  auto xss = ArtifactStore::PathFor("/runs", "<script>alert(1)</script>");
  ASSERT_TRUE(xss.ok());
  EXPECT_EQ(xss->find('/', 6), std::string::npos);
  // Names that sanitize alike still get different files.
  EXPECT_NE(*ArtifactStore::PathFor("/runs", "a/b"), *ArtifactStore::PathFor("/runs", "a<b"));
  EXPECT_EQ(ArtifactStore::PathFor("/runs", "").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ArtifactStoreTest, ReadableByH5dump) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->WriteTrial(11, 1, item_, SampleResult(1.0f)).ok());
  }
  const std::string out = dir_.File("dump.txt");
  const std::string cmd = "h5dump -A " + path_ + " > " + out + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "h5dump failed on " << path_;
  std::ifstream in(out);
  const std::string dump((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(dump.find("GROUP \"trial-00000011\""), std::string::npos) << dump;
  EXPECT_NE(dump.find("ATTRIBUTE \"param.ctx_len\""), std::string::npos);
  EXPECT_NE(dump.find("ATTRIBUTE \"method\""), std::string::npos);
  EXPECT_NE(dump.find("\"coop\""), std::string::npos);
}

}  // namespace
}  // namespace chromatune
