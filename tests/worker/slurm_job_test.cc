#include "worker/slurm_job.h"

#include <gtest/gtest.h>

#include "tests/worker/example_slurm_job.h"

namespace chromatune::worker {
namespace {

SlurmJob ValidJob() { return ExampleSlurmJob(); }

// The error message of `job`, or "" when it is valid.
std::string Problem(const SlurmJob& job) {
  Status s = ValidateSlurmJob(job);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  }
  return s.message();
}

TEST(SlurmJobTest, ValidJobsPass) {
  SlurmJob job = ValidJob();
  EXPECT_EQ(Problem(job), "");
  job.partition = "gpu,gpu-long";
  job.time_limit = "1-12:00:00";
  job.groups = 12;
  job.groups_per_job = 4;
  job.ranks = 2;
  job.gpus_per_rank = 1;
  EXPECT_EQ(Problem(job), "");
  job.coordinator = "login1.cluster:7321";
  job.db.clear();  // not used with an existing coordinator
  EXPECT_EQ(Problem(job), "");
  SlurmJob loopback = ValidJob();
  loopback.token_file.clear();
  loopback.coordinator_listen = "127.0.0.1:0";
  EXPECT_EQ(Problem(loopback), "");
}

TEST(SlurmJobTest, CountsOutOfRangeNameTheOption) {
  SlurmJob job = ValidJob();
  job.groups = 0;
  EXPECT_EQ(Problem(job), "--groups 0: must be in 1..100000");
  job = ValidJob();
  job.ranks = -1;
  EXPECT_EQ(Problem(job), "--ranks -1: must be in 1..4096");
  job = ValidJob();
  job.gpus_per_rank = 65;
  EXPECT_EQ(Problem(job), "--gpus-per-rank 65: must be in 0..64");
  job = ValidJob();
  job.groups = 2;
  job.groups_per_job = 3;
  EXPECT_EQ(Problem(job), "--groups-per-job 3: must be in 1..2");
  job.groups = 5;
  job.groups_per_job = 2;
  EXPECT_NE(Problem(job).find("--groups 5 is not a multiple of --groups-per-job 2"),
            std::string::npos);
}

TEST(SlurmJobTest, RejectsWhatABatchScriptCannotHold) {
  SlurmJob job = ValidJob();
  job.partition = "gpu\n#SBATCH --uid=0";
  EXPECT_NE(Problem(job).find("--partition"), std::string::npos);
  job = ValidJob();
  job.log_dir = "/shared/my logs";
  EXPECT_NE(Problem(job).find("--log-dir \"/shared/my logs\": must not contain whitespace"),
            std::string::npos);
  job.log_dir = "/shared/100%";
  EXPECT_NE(Problem(job).find("--log-dir"), std::string::npos);
  job.log_dir = "relative/logs";
  EXPECT_EQ(Problem(job), "--log-dir \"relative/logs\": must be an absolute path");
  job = ValidJob();
  job.mpi = "pmix; rm -rf /";
  EXPECT_NE(Problem(job).find("--mpi"), std::string::npos);
  job = ValidJob();
  job.token_file = "tokens";
  EXPECT_NE(Problem(job).find("--token-file \"tokens\": must be an absolute path"),
            std::string::npos);
  job = ValidJob();
  job.db = "runs.db";
  EXPECT_NE(Problem(job).find("--db"), std::string::npos);
}

TEST(SlurmJobTest, TimeLimits) {
  for (const char* ok : {"30", "30:00", "2:00:00", "1-0", "1-12", "1-12:30", "7-00:00:00",
                         "UNLIMITED", "INFINITE", "0"}) {
    EXPECT_TRUE(IsSlurmTime(ok)) << ok;
  }
  for (const char* bad :
       {"", "1h", "1:2:3:4", "1-", "-1", "1-2-3", "1:", ":30", "1 0", "1-1:1:1:1", "unlimited"}) {
    EXPECT_FALSE(IsSlurmTime(bad)) << bad;
  }
  SlurmJob job = ValidJob();
  job.time_limit = "2h";
  EXPECT_NE(Problem(job).find("--time \"2h\": not a Slurm time"), std::string::npos);
}

TEST(SlurmJobTest, CoordinatorAddresses) {
  SlurmJob job = ValidJob();
  job.coordinator = "login1";
  EXPECT_NE(Problem(job).find("--coordinator \"login1\": expected HOST:PORT"), std::string::npos);
  job.coordinator = "login1:0";
  EXPECT_NE(Problem(job).find("PORT in 1..65535"), std::string::npos);
  job.coordinator = "[fd00::1]:7321";
  EXPECT_EQ(Problem(job), "");

  job = ValidJob();
  job.coordinator_listen = "0.0.0.0:99999";
  EXPECT_NE(Problem(job).find("--coordinator-listen"), std::string::npos);
  job.coordinator_listen = "0.0.0.0:0";
  job.token_file.clear();
  EXPECT_NE(Problem(job).find("needs --token-file"), std::string::npos);
  job = ValidJob();
  job.lease_timeout_s = 0.1;
  EXPECT_NE(Problem(job).find("--lease-timeout"), std::string::npos);
}

TEST(SlurmJobTest, JobNamesAndFiles) {
  EXPECT_EQ(SlurmJobName("colour study/v2"), "ct-colour_study_v2");
  EXPECT_EQ(SlurmJobName(std::string(100, 'a')), "ct-" + std::string(40, 'a'));
  SlurmJob job = ValidJob();
  job.groups = 6;
  job.groups_per_job = 2;
  EXPECT_EQ(job.worker_jobs(), 3);
  EXPECT_TRUE(job.coordinator_job());
  EXPECT_EQ(job.AddressFile(), "/shared/ct/logs/coordinator.address");
  EXPECT_EQ(job.WorkerScript(), "/shared/ct/logs/workers.sbatch");
}

}  // namespace
}  // namespace chromatune::worker
