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
  std::string path_ = dir_.File("demo.h5");
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
  hid_t dset = H5Dopen2(file, "sweeps/sweep-a/trials/trial-00000003/arrays/big", H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  hid_t dcpl = H5Dget_create_plist(dset);
  hsize_t chunk[2] = {0, 0};
  ASSERT_EQ(H5Pget_chunk(dcpl, 2, chunk), 2);
  EXPECT_LE(chunk[0] * chunk[1] * sizeof(float), 256u * 1024u);
  EXPECT_GT(H5Pget_nfilters(dcpl), 0);
  H5Pclose(dcpl);
  H5Dclose(dset);
  // Curves are extendible.
  dset =
      H5Dopen2(file, "sweeps/sweep-a/trials/trial-00000004/curves/train_loss/value", H5P_DEFAULT);
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

TEST_F(ArtifactStoreTest, SweepsShareOneFileAndSeeOnlyTheirTrials) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->WriteTrial(5, 1, item_, SampleResult(2.0f)).ok());
  }
  const std::string hostile = "<script>alert(1)</script>";
  auto other = ArtifactStore::Open(path_, hostile, StoreMode::kReadWrite);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->WriteTrial(6, 1, item_, SampleResult(3.0f)).ok());
  EXPECT_EQ(*(*other)->ListTrials(), std::vector<int64_t>{6});
  EXPECT_EQ((*other)->ReadTrial(5).status().code(), StatusCode::kNotFound);

  auto reader = ArtifactStore::Open(path_, "sweep-a", StoreMode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->sweep(), "sweep-a");
  EXPECT_EQ(*(*reader)->ListTrials(), std::vector<int64_t>{5});
  EXPECT_EQ((*reader)->WriteTrial(7, 1, item_, SampleResult(1.0f)).code(),
            StatusCode::kFailedPrecondition);
  // A sweep that wrote nothing yet has no trials; it is not an error.
  auto unseen = ArtifactStore::Open(path_, "never-written", StoreMode::kReadOnly);
  ASSERT_TRUE(unseen.ok()) << unseen.status().ToString();
  EXPECT_TRUE((*unseen)->ListTrials()->empty());
  EXPECT_EQ((*unseen)->ReadTrial(5).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ArtifactStore::Open(path_, "", StoreMode::kReadOnly).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ArtifactStore::Open(dir_.File("missing.h5"), "sweep-a", StoreMode::kReadOnly).status().code(),
      StatusCode::kNotFound);

  // The group of a free-text name records the exact name.
  hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const std::string group = "sweeps/" + *ArtifactStore::GroupFor(hostile);
  hid_t attr = H5Aopen_by_name(file, group.c_str(), "sweep", H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  hid_t type = H5Aget_type(attr);
  std::string name(H5Tget_size(type), '\0');
  ASSERT_GE(H5Aread(attr, type, name.data()), 0);
  EXPECT_EQ(std::string(name.c_str()), hostile);
  H5Tclose(type);
  H5Aclose(attr);
  H5Fclose(file);
}

TEST_F(ArtifactStoreTest, AFileOfTheOldPerSweepLayoutIsRefusedUntouched) {
  {
    hid_t file = H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    auto attr = [&](const char* name, hid_t type, const void* value) {
      hid_t space = H5Screate(H5S_SCALAR);
      hid_t a = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, type, value);
      H5Aclose(a);
      H5Sclose(space);
    };
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 21);
    attr("format", str, "chromatune-artifacts");
    const int64_t version = 1;
    attr("format_version", H5T_NATIVE_INT64, &version);
    H5Tclose(str);
    H5Fclose(file);
  }
  std::ifstream in(path_, std::ios::binary);
  const std::string before((std::istreambuf_iterator<char>(in)), {});
  auto store = ArtifactStore::Open(path_, "sweep-a", StoreMode::kReadWrite);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find(path_ + ": artifact format version 1 (one file per "
                                                  "sweep)"),
            std::string::npos)
      << store.status().message();
  std::ifstream again(path_, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(again)), {}), before);
}

TEST_F(ArtifactStoreTest, DefaultPathSitsNextToTheResultStore) {
  EXPECT_EQ(ArtifactStore::DefaultPathFor("runs/demo.sqlite"), "runs/demo.h5");
  EXPECT_EQ(ArtifactStore::DefaultPathFor("runs/x.sqlite3"), "runs/x.h5");
  EXPECT_EQ(ArtifactStore::DefaultPathFor("/data/sweep.v2.db"), "/data/sweep.v2.h5");
  EXPECT_EQ(ArtifactStore::DefaultPathFor("results"), "results.h5");
  EXPECT_EQ(ArtifactStore::DefaultPathFor("runs.d/store"), "runs.d/store.h5");
  EXPECT_EQ(ArtifactStore::DefaultPathFor("runs/.db"), "runs/.db.h5");
  EXPECT_EQ(ArtifactStore::DefaultPathFor("runs/a.h5"), "runs/a.h5.h5");
}

TEST_F(ArtifactStoreTest, GroupForGivesEveryNameItsOwnValidLinkName) {
  EXPECT_EQ(*ArtifactStore::GroupFor("fmnist-coop_v1.2"), "fmnist-coop_v1.2");
  EXPECT_EQ(*ArtifactStore::GroupFor("../etc"), "_._etc-" + Sha256Hex("../etc").substr(0, 12));
  auto xss = ArtifactStore::GroupFor("<script>alert(1)</script>");
  ASSERT_TRUE(xss.ok());
  EXPECT_EQ(xss->find('/'), std::string::npos);
  // Names that sanitize alike still get different groups.
  EXPECT_NE(*ArtifactStore::GroupFor("a/b"), *ArtifactStore::GroupFor("a<b"));
  EXPECT_EQ(ArtifactStore::GroupFor("").status().code(), StatusCode::kInvalidArgument);
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
