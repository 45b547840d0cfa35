#include "worker/crash_notes.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace chromatune::worker {
namespace {

TEST(CrashNotesTest, ParsesNotes) {
  CrashNote n;
  ASSERT_TRUE(ParseCrashNote("12 3 rank 1 pid 999 SIGSEGV", &n));
  EXPECT_EQ(n.trial_id, 12);
  EXPECT_EQ(n.attempt, 3);
  EXPECT_EQ(n.error, "worker crashed with SIGSEGV (rank 1, pid 999)");
  EXPECT_FALSE(ParseCrashNote("", &n));
  EXPECT_FALSE(ParseCrashNote("12 3 rank 1 pid 999", &n));
  EXPECT_FALSE(ParseCrashNote("0 3 rank 1 pid 999 SIGSEGV", &n));
  EXPECT_EQ(CrashContext(5, 1, 0, 42), "5 1 rank 0 pid 42");
  EXPECT_EQ(CrashContext(5, 1, 0, 42, "L5.1.ab"), "5 1 rank 0 pid 42 lease L5.1.ab");
  ASSERT_TRUE(ParseCrashNote("5 1 rank 0 pid 42 lease L5.1.ab SIGBUS", &n));
  EXPECT_EQ(n.lease_id, "L5.1.ab");
  EXPECT_NE(n.error.find("SIGBUS"), std::string::npos);
  EXPECT_FALSE(ParseCrashNote("5 1 rank 0 pid 42 lease L5.1.ab", &n));
}

TEST(CrashNotesTest, NamesTheRoundMatesThatTheCrashEnds) {
  const std::string context =
      CrashContext(5, 1, 2, 42, "L5", {{6, 2, "L6.2.cd"}, {7, 1, "L7.1.ef"}});
  EXPECT_EQ(context, "5 1 rank 2 pid 42 lease L5 mates 6:2:L6.2.cd,7:1:L7.1.ef");
  CrashNote n;
  ASSERT_TRUE(ParseCrashNote(context + " SIGSEGV", &n));
  EXPECT_EQ(n.trial_id, 5);
  EXPECT_EQ(n.lease_id, "L5");
  ASSERT_EQ(n.mates.size(), 2u);
  EXPECT_EQ(n.mates[0].trial_id, 6);
  EXPECT_EQ(n.mates[0].attempt, 2);
  EXPECT_EQ(n.mates[0].lease_id, "L6.2.cd");
  EXPECT_EQ(n.mates[1].trial_id, 7);
  EXPECT_NE(n.error.find("SIGSEGV"), std::string::npos);
  EXPECT_FALSE(ParseCrashNote("5 1 rank 2 pid 42 lease L5 mates 6:x:L SIGSEGV", &n));
  EXPECT_FALSE(ParseCrashNote("5 1 rank 2 pid 42 lease L5 mates 6 SIGSEGV", &n));
  // A round too big for the signal handler's buffer keeps the mates that fit, whole.
  std::vector<CrashMate> many(500, CrashMate{123456, 1, std::string(32, 'a')});
  const std::string capped = CrashContext(5, 1, 0, 42, "L5", many);
  EXPECT_LE(capped.size(), kMaxCrashContext);
  ASSERT_TRUE(ParseCrashNote(capped + " SIGABRT", &n));
  EXPECT_GT(n.mates.size(), 50u);
  EXPECT_LT(n.mates.size(), 500u);
}

TEST(CrashNotesTest, CollectsNotesOfDeadProcessesOnly) {
  const std::string dir = ::testing::TempDir() + "/crash-notes-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  auto dead = CrashNotePath(dir, child);
  auto alive = CrashNotePath(dir, getpid());
  ASSERT_TRUE(dead.ok() && alive.ok());
  std::ofstream(*dead) << CrashContext(9, 2, 0, child) << " SIGABRT\ngarbage\n";
  std::ofstream(*alive) << CrashContext(8, 1, 0, getpid()) << " SIGSEGV\n";
  auto notes = CollectCrashNotes(dir);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].trial_id, 9);
  EXPECT_NE(notes[0].error.find("SIGABRT"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(*dead));
  EXPECT_TRUE(std::filesystem::exists(*alive));
  EXPECT_TRUE(CollectCrashNotes(dir + "/missing").empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace chromatune::worker
