#include "worker/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace chromatune::worker {
namespace {

// Signals change process-wide state, so each case runs in a forked child.
TEST(SignalsTest, SigtermRequestsADrain) {
  pid_t child = fork();
  if (child == 0) {
    InstallSignalHandlers("");
    if (DrainRequested()) _exit(1);
    raise(SIGTERM);
    _exit(DrainRequested() ? 0 : 2);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SignalsTest, FatalSignalLeavesACrashNoteAndStillKills) {
  const std::string path = ::testing::TempDir() + "/note-" + std::to_string(getpid());
  std::remove(path.c_str());
  pid_t child = fork();
  if (child == 0) {
    InstallSignalHandlers(path);
    SetCrashContext("5 1 rank 0 pid 77");
    raise(SIGSEGV);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "5 1 rank 0 pid 77 SIGSEGV\n");
  std::remove(path.c_str());
}

TEST(SignalsTest, NoNoteOutsideATrial) {
  const std::string path = ::testing::TempDir() + "/note-empty-" + std::to_string(getpid());
  std::remove(path.c_str());
  pid_t child = fork();
  if (child == 0) {
    InstallSignalHandlers(path);
    SetCrashContext("5 1 rank 0 pid 77");
    SetCrashContext("");
    abort();
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace chromatune::worker
