// The parsing of sbatch's answers and the errors when Slurm's clients are missing. Real
// submissions are tested against a running Slurm in tests/cluster/slurm_test.py.
#include "worker/sbatch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace chromatune::worker {
namespace {

TEST(SbatchTest, ParsesParsableOutput) {
  EXPECT_EQ(*ParseSbatchJobId("1234\n"), "1234");
  EXPECT_EQ(*ParseSbatchJobId("1234;cluster-a\n"), "1234");
  EXPECT_EQ(*ParseSbatchJobId("sbatch: warning: something\n77\n"), "77");
  auto bad = ParseSbatchJobId("Submitted batch job x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("printed no job id: \"Submitted batch job x\""),
            std::string::npos);
  EXPECT_FALSE(ParseSbatchJobId("").ok());
}

// PATH pointing at a directory without Slurm's clients, restored afterwards.
class NoSlurmOnPath : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("PATH");
    old_ = path ? path : "";
    setenv("PATH", ::testing::TempDir().c_str(), 1);
  }
  void TearDown() override { setenv("PATH", old_.c_str(), 1); }
  std::string old_;
};

TEST_F(NoSlurmOnPath, SubmittingSaysSbatchIsMissing) {
  auto id = SubmitBatchScript("/tmp/workers.sbatch", {"--dependency=after:1"});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(id.status().message().find("cannot start sbatch"), std::string::npos);
  EXPECT_NE(id.status().message().find("installed and on PATH"), std::string::npos);
  Status cancelled = CancelJob("1");
  EXPECT_FALSE(cancelled.ok());
  EXPECT_NE(cancelled.message().find("cannot start scancel"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::worker
