// The journaling HDF5 driver: an abandoned session is rolled back byte for byte, a full
// disk leaves the file as it was, and kill -9 at random points never loses a written trial
// nor leaves a partial one.
#include "storage/hdf5_journal.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "storage/artifact_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The arrays of trial `id`, recognisable on read-back.
TrialResult ResultFor(int64_t id) {
  TrialResult r;
  NamedArray a{"predictions", {20000 + (id % 5) * 10000}, {}};
  for (int64_t i = 0; i < a.shape[0]; ++i) a.data.push_back(static_cast<float>(id) + i * 0.5f);
  r.arrays.push_back(std::move(a));
  r.curves = {{"loss", 1, static_cast<double>(id)}, {"loss", 2, id / 2.0}};
  return r;
}

bool Matches(const TrialArtifacts& t) {
  const TrialResult want = ResultFor(t.trial_id);
  return t.arrays.size() == 1 && t.arrays[0].data == want.arrays[0].data && t.curves.size() == 2 &&
         t.curves[1].value == want.curves[1].value;
}

class Hdf5JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->WriteTrial(1, 1, item_, ResultFor(1)).ok());
  }
  testing::ScratchDir dir_;
  std::string path_ = dir_.File("s.h5");
  nlohmann::json item_ = testing::PlanItem("k", "noop", 1, 1);
};

TEST_F(Hdf5JournalTest, AnAbandonedSessionIsRolledBackByteForByte) {
  const std::string before = ReadAll(path_);
  // A writer that flushes half a change and dies without closing.
  int code = testing::RunInChild([&] {
    auto fapl = JournaledFileAccess();
    if (!fapl.ok()) return 10;
    hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDWR, *fapl);
    if (file < 0) return 11;
    hid_t g =
        H5Gcreate2(file, "sweeps/s/trials/trial-00000099", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[1] = {100000};
    hid_t space = H5Screate_simple(1, dims, nullptr);
    hid_t d = H5Dcreate2(g, "junk", H5T_NATIVE_FLOAT, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<float> junk(100000, 1.0f);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, junk.data());
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return 12;
    _exit(0);  // no close: the session never commits
  });
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(std::filesystem::exists(Hdf5JournalPath(path_)));
  ASSERT_NE(ReadAll(path_), before);

  // A reader refuses the interrupted file; a writer rolls it back.
  auto reader = ArtifactStore::Open(path_, "s", StoreMode::kReadOnly);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kUnavailable) << reader.status().ToString();
  EXPECT_NE(reader.status().message().find("interrupted write"), std::string::npos);
  auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(Hdf5JournalPath(path_)));
  EXPECT_EQ(ReadAll(path_), before);
  EXPECT_EQ(*(*store)->ListTrials(), std::vector<int64_t>{1});
}

TEST_F(Hdf5JournalTest, FullDiskFailsCleanlyAndLeavesTheFileAsItWas) {
  const std::string before = ReadAll(path_);
  const rlim_t limit = before.size() + 64 * 1024;
  int code = testing::RunInChild([&] {
    testing::LimitFileSize(limit);
    auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
    if (!store.ok()) return 10;
    TrialResult big;
    NamedArray a{"noise", {1 << 20}, {}};
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0, 1);
    for (int i = 0; i < (1 << 20); ++i) a.data.push_back(u(rng));  // incompressible
    big.arrays.push_back(std::move(a));
    Status s = (*store)->WriteTrial(2, 1, item_, big);
    if (s.code() != StatusCode::kResourceExhausted) {
      fprintf(stderr, "unexpected: %s\n", s.ToString().c_str());
      return 20;
    }
    if (s.message().find(path_) == std::string::npos) return 21;
    return 0;
  });
  ASSERT_EQ(code, 0);
  EXPECT_FALSE(std::filesystem::exists(Hdf5JournalPath(path_)));
  EXPECT_EQ(ReadAll(path_), before);
  auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->ListTrials(), std::vector<int64_t>{1});
  EXPECT_TRUE(Matches(*(*store)->ReadTrial(1)));
}

TEST_F(Hdf5JournalTest, KillNineMidWriteNeverLosesOrTearsATrial) {
  std::mt19937 rng(12345);
  std::set<int64_t> stored = {1};
  int64_t next = 2;
  int rolled_back = 0;
  // At least 10 rounds; more (up to 60) until 3 kills landed inside a write and 10 trials
  // were stored, however slow the machine is.
  for (int round = 0; round < 60 && (round < 10 || rolled_back < 3 || stored.size() < 10);
       ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const int64_t first = next;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
      if (!store.ok()) _exit(3);
      for (int64_t id = first;; ++id) {
        if (!(*store)->WriteTrial(id, 1, item_, ResultFor(id)).ok()) _exit(4);
        if (write(fds[1], &id, sizeof id) != sizeof id) _exit(5);
      }
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 300));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself with " << WEXITSTATUS(status);
    std::set<int64_t> reported;
    int64_t id = 0;
    while (read(fds[0], &id, sizeof id) == sizeof id) reported.insert(id);
    close(fds[0]);
    if (std::filesystem::exists(Hdf5JournalPath(path_))) ++rolled_back;

    auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    auto ids = (*store)->ListTrials();
    ASSERT_TRUE(ids.ok());
    const int64_t in_flight = reported.empty() ? first : *reported.rbegin() + 1;
    std::set<int64_t> expected = stored;
    expected.insert(reported.begin(), reported.end());
    std::set<int64_t> got(ids->begin(), ids->end());
    // Everything reported is there; the only possible extra is the trial being written when
    // the kill came (its write may have committed before the report).
    std::set<int64_t> extra;
    for (int64_t g : got) {
      if (expected.count(g) == 0) extra.insert(g);
    }
    for (int64_t e : expected) EXPECT_EQ(got.count(e), 1u) << "round " << round << " lost " << e;
    EXPECT_TRUE(extra.empty() || extra == std::set<int64_t>{in_flight}) << "round " << round;
    for (int64_t g : extra) {
      auto t = (*store)->ReadTrial(g);
      ASSERT_TRUE(t.ok());
      EXPECT_TRUE(Matches(*t)) << "torn trial " << g;
    }
    stored = got;
    next = *got.rbegin() + 1;
  }
  // Spot-check the content of everything at the end.
  auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  for (int64_t id : stored) {
    auto t = (*store)->ReadTrial(id);
    ASSERT_TRUE(t.ok()) << id << ": " << t.status().ToString();
    EXPECT_TRUE(Matches(*t)) << id;
  }
  EXPECT_GT(stored.size(), 1u) << "no write completed; the test proved nothing";
  EXPECT_GE(rolled_back, 1) << "no kill landed inside a write; the test proved nothing";
}

TEST_F(Hdf5JournalTest, ConcurrentWriterIsRefusedNotBlocked) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    auto fapl = JournaledFileAccess();
    hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDWR, *fapl);
    char c = file >= 0 ? 'y' : 'n';
    if (write(fds[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(fds[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto store = ArtifactStore::Open(path_, "s", StoreMode::kReadWrite);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(fds[0]);
  close(fds[1]);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("in use by another process"), std::string::npos);
}

TEST_F(Hdf5JournalTest, NonHdf5FileAndReadOnlyDirectoryAreClearErrors) {
  const std::string text = dir_.File("notes.h5");
  std::ofstream(text) << "not an HDF5 file\n";
  auto bad = ArtifactStore::Open(text, "s", StoreMode::kReadWrite);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(bad.status().message(),
            text + ": not an HDF5 file (no HDF5 signature); refusing to modify it");
  EXPECT_EQ(ReadAll(text), "not an HDF5 file\n");

  // Permission bits as an unprivileged user (the tests may run as root).
  const std::string ro = dir_.File("ro");
  std::filesystem::create_directory(ro);
  std::filesystem::copy_file(path_, ro + "/s.h5");
  std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all |
                                                std::filesystem::perms::others_read |
                                                std::filesystem::perms::others_exec);
  std::filesystem::permissions(ro, std::filesystem::perms::owner_all |
                                       std::filesystem::perms::others_read |
                                       std::filesystem::perms::others_exec);
  int code = testing::RunInChild([&] {
    if (!testing::DropToNobody()) return 9;
    auto fresh = ArtifactStore::Open(ro + "/new.h5", "s", StoreMode::kReadWrite);
    if (fresh.status().code() != StatusCode::kPermissionDenied) return 10;
    if (fresh.status().message().find("is not writable") == std::string::npos) return 11;
    auto existing = ArtifactStore::Open(ro + "/s.h5", "s", StoreMode::kReadWrite);
    if (existing.status().code() != StatusCode::kPermissionDenied) return 12;
    auto reader = ArtifactStore::Open(ro + "/s.h5", "s", StoreMode::kReadOnly);
    if (!reader.ok()) return 13;
    return (*reader)->ListTrials().ok() ? 0 : 14;
  });
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(std::filesystem::exists(ro + "/new.h5"));
}

}  // namespace
}  // namespace chromatune
