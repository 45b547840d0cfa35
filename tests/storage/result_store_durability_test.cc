// Bad files and failing disks: clear errors naming the path, never a half-written store.
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

#include "storage/result_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using testing::PlanItem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

NewSweep SweepOf(const std::string& name, int trials) {
  NewSweep s;
  s.name = name;
  s.user = "u";
  s.spec_yaml = std::string(200, 'x');
  for (int i = 0; i < trials; ++i) {
    s.items.push_back(PlanItem(name + "-key-" + std::to_string(i), "noop", 1, i));
  }
  return s;
}

class DurabilityTest : public ::testing::Test {
 protected:
  testing::ScratchDir dir_;
  std::string path_ = dir_.File("r.db");
};

TEST_F(DurabilityTest, NonSqliteFileIsRefusedUntouched) {
  std::string junk(8192, '\0');
  std::mt19937 rng(1);
  for (char& c : junk) c = static_cast<char>(rng());
  std::ofstream(path_, std::ios::binary) << junk;
  for (StoreMode mode : {StoreMode::kReadWrite, StoreMode::kReadOnly}) {
    auto store = ResultStore::Open(path_, mode);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
    EXPECT_EQ(store.status().message().rfind(path_ + ": not an SQLite database", 0), 0u)
        << store.status().message();
  }
  EXPECT_EQ(ReadAll(path_), junk);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(DurabilityTest, DamagedDatabaseIsRefusedUntouched) {
  {
    auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateSweep(SweepOf("s", 3000)).ok());
  }
  std::string bytes = ReadAll(path_);
  ASSERT_GT(bytes.size(), 200000u);
  // Scribble over the middle half of the file (b-tree pages), keeping the header.
  std::mt19937 rng(2);
  for (size_t i = bytes.size() / 4; i < bytes.size() * 3 / 4; ++i) {
    bytes[i] = static_cast<char>(rng());
  }
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
  EXPECT_NE(store.status().message().find(path_), std::string::npos);
  EXPECT_EQ(ReadAll(path_), bytes);
}

TEST_F(DurabilityTest, MissingFilesAndDirectoriesAreNamed) {
  auto ro = ResultStore::Open(dir_.File("none.db"), StoreMode::kReadOnly);
  EXPECT_EQ(ro.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ro.status().message(), dir_.File("none.db") + ": no such database file");
  auto nodir = ResultStore::Open(dir_.File("no/such/dir/r.db"), StoreMode::kReadWrite);
  EXPECT_EQ(nodir.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nodir.status().message().find("does not exist"), std::string::npos);
  auto isdir = ResultStore::Open(dir_.path(), StoreMode::kReadWrite);
  EXPECT_EQ(isdir.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DurabilityTest, ReadOnlyDirectoryIsAClearError) {
  const std::string ro = dir_.File("ro");
  std::filesystem::create_directory(ro);
  {
    auto store = ResultStore::Open(ro + "/r.db", StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateSweep(SweepOf("s", 5)).ok());
  }
  const auto rx = std::filesystem::perms::owner_all | std::filesystem::perms::others_read |
                  std::filesystem::perms::others_exec;
  std::filesystem::permissions(dir_.path(), rx);
  std::filesystem::permissions(ro, rx);
  std::filesystem::permissions(ro + "/r.db", std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write |
                                                 std::filesystem::perms::others_read);
  int code = testing::RunInChild([&] {
    if (!testing::DropToNobody()) return 9;
    auto fresh = ResultStore::Open(ro + "/new.db", StoreMode::kReadWrite);
    if (fresh.status().code() != StatusCode::kPermissionDenied) return 10;
    if (fresh.status().message() !=
        ro + "/new.db: cannot create the database: the directory " + ro + " is not writable") {
      return 11;
    }
    auto existing = ResultStore::Open(ro + "/r.db", StoreMode::kReadWrite);
    if (existing.status().code() != StatusCode::kPermissionDenied) return 12;
    return 0;
  });
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(std::filesystem::exists(ro + "/new.db"));
}

TEST_F(DurabilityTest, FullDiskRollsTheTransactionBack) {
  {
    auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateSweep(SweepOf("before", 10)).ok());
  }
  const rlim_t limit = ReadAll(path_).size() + 256 * 1024;
  int code = testing::RunInChild([&] {
    testing::LimitFileSize(limit);
    auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
    if (!store.ok()) return 10;
    auto big = (*store)->CreateSweep(SweepOf("big", 20000));
    if (big.status().code() != StatusCode::kResourceExhausted) {
      fprintf(stderr, "unexpected: %s\n", big.status().ToString().c_str());
      return 11;
    }
    if (big.status().message().find("nothing of this change was stored") == std::string::npos ||
        big.status().message().find(path_) == std::string::npos) {
      return 12;
    }
    // The store stays usable for small writes after the failure.
    return (*store)->CreateSweep(SweepOf("small", 1)).ok() ? 0 : 13;
  });
  ASSERT_EQ(code, 0);
  auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->GetSweep("big").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->GetSweep("before")->counts.total(), 10);
  EXPECT_EQ((*store)->GetSweep("small")->counts.total(), 1);
}

TEST_F(DurabilityTest, KillNineDuringCompletionsLosesNothingReported) {
  int64_t group = 0;
  {
    auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateSweep(SweepOf("s", 5000)).ok());
    group = *(*store)->RegisterWorkerGroup(testing::Group("h", 1, {"cpu"}));
  }
  std::mt19937 rng(3);
  std::set<int64_t> reported;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
      if (!store.ok()) _exit(3);
      while (true) {
        auto runnable = (*store)->ListRunnable(INT64_MAX, 1);
        if (!runnable.ok() || runnable->empty()) _exit(4);
        const int64_t id = runnable->front().trial_id;
        auto lease = (*store)->Lease(id, group, INT64_MAX);
        TrialResult r;
        r.metrics["accuracy"] = id;
        if (!lease.ok() || !(*store)->Complete(id, lease->attempt, r).ok()) _exit(5);
        if (write(fds[1], &id, sizeof id) != sizeof id) _exit(6);
      }
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 200));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    int64_t id = 0;
    while (read(fds[0], &id, sizeof id) == sizeof id) reported.insert(id);
    close(fds[0]);
  }
  auto store = ResultStore::Open(path_, StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto outcomes = store->get()->ListOutcomes("s");
  ASSERT_TRUE(outcomes.ok());
  int64_t done = 0;
  for (const TrialOutcome& o : *outcomes) {
    if (reported.count(o.trial_id)) {
      EXPECT_EQ(o.state, "done") << o.trial_id;
    }
    if (o.state == "done") {
      ++done;
      ASSERT_EQ(o.metrics.count("accuracy"), 1u) << "done without its metrics: " << o.trial_id;
      EXPECT_EQ(o.metrics.at("accuracy"), o.trial_id);
    } else {
      EXPECT_TRUE(o.metrics.empty()) << o.trial_id;
    }
  }
  EXPECT_GE(done, static_cast<int64_t>(reported.size()));
  EXPECT_LE(done, static_cast<int64_t>(reported.size()) + 5);  // at most one unreported a round
  EXPECT_FALSE(reported.empty());
}

}  // namespace
}  // namespace chromatune
