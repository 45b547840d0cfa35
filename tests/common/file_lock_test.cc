#include "common/file_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace chromatune {
namespace {

namespace fs = std::filesystem;

class FileLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ct-file-lock-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileLockTest, FreeLockIsTakenWithoutWaiting) {
  bool waited_called = false;
  auto lock = FileLock::Acquire(dir_ + "/a.lock", [&] { waited_called = true; });
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_FALSE(lock->waited());
  EXPECT_FALSE(waited_called);
}

// A child process holds the lock for a while; the parent's Acquire reports the wait, blocks
// until the child releases it, and then holds it.
TEST_F(FileLockTest, SecondProcessWaitsForTheHolder) {
  const std::string path = dir_ + "/b.lock";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = FileLock::Acquire(path);
    if (!lock.ok()) _exit(3);
    char c = 'x';
    if (write(ready[1], &c, 1) != 1) _exit(4);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    _exit(0);  // the descriptor closes with the process: the lock is released
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  int waits = 0;
  const auto start = std::chrono::steady_clock::now();
  auto lock = FileLock::Acquire(path, [&] { ++waits; });
  const double waited_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_TRUE(lock->waited());
  EXPECT_EQ(waits, 1);
  EXPECT_GT(waited_s, 0.1);  // it really blocked until the child's release
  close(ready[0]);
  close(ready[1]);
}

TEST_F(FileLockTest, ReleasedOnDestruction) {
  const std::string path = dir_ + "/c.lock";
  {
    auto first = FileLock::Acquire(path);
    ASSERT_TRUE(first.ok());
  }
  auto again = FileLock::Acquire(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->waited());
}

TEST_F(FileLockTest, UnopenablePathIsAnErrorNamingIt) {
  auto lock = FileLock::Acquire(dir_ + "/no/such/dir/x.lock");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(lock.status().message().find("/no/such/dir/x.lock"), std::string::npos);
}

// One coordinator per store: TryAcquire never waits; the loser's error names the lock file
// and the holder's text, which the winner wrote into it.
TEST_F(FileLockTest, TryAcquireRefusesASecondHolderNamingTheFirst) {
  const std::string path = dir_ + "/db.lock";
  auto first = FileLock::TryAcquire(path, "node1 4242");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(FileLock::HolderOf(path), "node1 4242");
  const auto start = std::chrono::steady_clock::now();
  auto second = FileLock::TryAcquire(path, "node2 7");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(path), std::string::npos);
  EXPECT_NE(second.status().message().find("node1 4242"), std::string::npos);
  EXPECT_EQ(FileLock::HolderOf(path), "node1 4242");  // the loser wrote nothing
}

TEST_F(FileLockTest, TryAcquireSucceedsOnceTheHolderIsGoneAndRewritesTheHolder) {
  const std::string path = dir_ + "/db.lock";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = FileLock::TryAcquire(path, "a-much-longer-host-name 123456");
    _exit(lock.ok() ? 0 : 3);  // exits holding it: the kernel releases the lock
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(FileLock::HolderOf(path), "a-much-longer-host-name 123456");  // stale text stays
  auto lock = FileLock::TryAcquire(path, "h 1");
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(FileLock::HolderOf(path), "h 1");  // replaced whole, no tail of the old text
}

TEST_F(FileLockTest, TryAcquireWithoutHolderTextSaysTheHolderIsUnknown) {
  const std::string path = dir_ + "/plain.lock";
  auto blocking = FileLock::Acquire(path);  // a holder that wrote nothing
  ASSERT_TRUE(blocking.ok());
  auto second = FileLock::TryAcquire(path, "h 1");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("holder unknown"), std::string::npos);
  EXPECT_EQ(FileLock::HolderOf(dir_ + "/missing.lock"), "");
}

}  // namespace
}  // namespace chromatune
