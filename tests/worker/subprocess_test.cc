#include "worker/subprocess.h"

#include <gtest/gtest.h>

namespace chromatune::worker {
namespace {

TEST(SubprocessTest, CollectsBothStreamsAndTheExitStatus) {
  auto run = RunProgram({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->exit_code, 3);
  EXPECT_EQ(run->out, "out\n");
  EXPECT_EQ(run->err, "err\n");
}

TEST(SubprocessTest, LargeOutputOnBothStreamsDoesNotBlock) {
  // More than a pipe holds (64 KiB) on each stream, written alternately.
  auto run = RunProgram({"sh", "-c",
                         "i=0; while [ $i -lt 3000 ]; do echo 0123456789012345678901234567890123; "
                         "echo abcdefghijabcdefghijabcdefghijabcd >&2; i=$((i+1)); done"});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->out.size(), 3000u * 35);
  EXPECT_EQ(run->err.size(), 3000u * 35);
}

TEST(SubprocessTest, StdinIsEmpty) {
  auto run = RunProgram({"cat"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->out, "");
}

TEST(SubprocessTest, SignalEndsAreReportedAs128PlusTheSignal) {
  auto run = RunProgram({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 128 + 15);
}

TEST(SubprocessTest, AMissingProgramIsUnavailableNamingIt) {
  auto run = RunProgram({"chromatune-no-such-program"});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(run.status().message().find("cannot start chromatune-no-such-program"),
            std::string::npos);
  EXPECT_FALSE(RunProgram({}).ok());
}

}  // namespace
}  // namespace chromatune::worker
