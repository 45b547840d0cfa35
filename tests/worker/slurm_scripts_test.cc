// The batch scripts against golden copies (tests/worker/golden/, reviewed by hand: a change
// to a script shows up as a diff there), plus bash's own syntax check of each variant.
#include "worker/slurm_scripts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/worker/example_slurm_job.h"
#include "worker/subprocess.h"

namespace chromatune::worker {
namespace {

SlurmJob CoordinatorJob() {
  SlurmJob job = ExampleSlurmJob();
  job.partition = "gpu";
  job.time_limit = "4:00:00";
  job.groups = 4;
  job.groups_per_job = 2;
  job.ranks = 2;
  job.gpus_per_rank = 1;
  job.lease_timeout_s = 3;
  job.worker_token_file = job.WorkerTokenFile();  // as the launcher sets it
  return job;
}

SlurmJob ExistingCoordinatorJob() {
  SlurmJob job;
  job.sweep_name = "colour";
  job.executable = "/opt/chromatune/bin/chromatune";
  job.log_dir = "/shared/ct/logs";
  job.coordinator = "login1:7321";
  return job;
}

std::string Golden(const std::string& name) {
  std::ifstream in("tests/worker/golden/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `bash -n` on `script`; returns its stderr, "" when the syntax is fine.
std::string BashSyntaxErrors(const std::string& script) {
  const std::string path = ::testing::TempDir() + "/script-" + std::to_string(getpid()) + ".sh";
  std::ofstream(path) << script;
  auto run = RunProgram({"bash", "-n", path});
  std::remove(path.c_str());
  if (!run.ok()) return run.status().ToString();
  return run->exit_code == 0 ? "" : "exit " + std::to_string(run->exit_code) + ": " + run->err;
}

TEST(SlurmScriptsTest, ShellQuote) {
  EXPECT_EQ(ShellQuote("/a b/c"), "'/a b/c'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(SlurmScriptsTest, CoordinatorJobMatchesGolden) {
  const SlurmJob job = CoordinatorJob();
  ASSERT_TRUE(ValidateSlurmJob(job).ok());
  const std::string script = CoordinatorJobScript(job);
  EXPECT_EQ(script, Golden("coordinator.sbatch"));
  EXPECT_EQ(BashSyntaxErrors(script), "");
}

TEST(SlurmScriptsTest, WorkerArrayMatchesGolden) {
  const SlurmJob job = CoordinatorJob();
  const std::string script = WorkerJobScript(job);
  EXPECT_EQ(script, Golden("workers-array.sbatch"));
  EXPECT_EQ(BashSyntaxErrors(script), "");
  // The parts the issue asks for, named so a golden update cannot drop them unnoticed.
  EXPECT_NE(script.find("#SBATCH --array=0-1\n"), std::string::npos);
  EXPECT_NE(script.find("#SBATCH --ntasks=4\n"), std::string::npos);
  EXPECT_NE(script.find("#SBATCH --requeue\n"), std::string::npos);
  EXPECT_NE(script.find("#SBATCH --signal=B:TERM@120\n"), std::string::npos);
  EXPECT_NE(script.find("srun --ntasks=2 --exact --kill-on-bad-exit=1 --mpi=pmix "
                        "--gpus-per-task=1"),
            std::string::npos);
  EXPECT_NE(script.find("--output=\"$log_dir/group-$group.log\""), std::string::npos);
  EXPECT_NE(script.find("trap drain TERM INT"), std::string::npos);
}

TEST(SlurmScriptsTest, WorkersOfAnExistingCoordinatorMatchGolden) {
  const SlurmJob job = ExistingCoordinatorJob();
  ASSERT_TRUE(ValidateSlurmJob(job).ok());
  const std::string script = WorkerJobScript(job);
  EXPECT_EQ(script, Golden("workers-existing.sbatch"));
  EXPECT_EQ(BashSyntaxErrors(script), "");
  EXPECT_EQ(script.find("--array"), std::string::npos) << "one job needs no array";
  EXPECT_EQ(script.find("--mpi="), std::string::npos) << "one rank needs no MPI";
  EXPECT_EQ(script.find("--token-file"), std::string::npos);
  EXPECT_NE(script.find("coordinator='login1:7321'"), std::string::npos);
}

// Packing on Slurm: a one-rank group holding a node's GPUs runs `chromatune worker
// --trials-per-gpu P`, which starts one group per GPU times P (worker/gpu_packing.h); the
// default (1) leaves the command line as it was.
TEST(SlurmScriptsTest, PackedWorkersPassTrialsPerGpu) {
  SlurmJob job = ExistingCoordinatorJob();
  job.gpus_per_rank = 8;
  job.trials_per_gpu = 2;
  ASSERT_TRUE(ValidateSlurmJob(job).ok());
  const std::string script = WorkerJobScript(job);
  EXPECT_NE(script.find("srun --ntasks=1 --exact --kill-on-bad-exit=1 --gpus-per-task=8"),
            std::string::npos);
  EXPECT_NE(script.find("worker --coordinator \"$coordinator\" --trials-per-gpu 2 &"),
            std::string::npos)
      << script;
  EXPECT_EQ(BashSyntaxErrors(script), "");
  job.trials_per_gpu = 1;
  EXPECT_EQ(WorkerJobScript(job).find("--trials-per-gpu"), std::string::npos);
  job.trials_per_gpu = 0;
  EXPECT_FALSE(ValidateSlurmJob(job).ok());
}

TEST(SlurmScriptsTest, InsecureLoopbackCoordinatorJob) {
  SlurmJob job = CoordinatorJob();
  job.token_file.clear();
  job.coordinator_listen = "127.0.0.1:0";
  ASSERT_TRUE(ValidateSlurmJob(job).ok());
  const std::string script = CoordinatorJobScript(job);
  EXPECT_NE(script.find("--listen '127.0.0.1:0' --insecure-loopback"), std::string::npos);
  EXPECT_EQ(script.find("--token-file"), std::string::npos);
  EXPECT_EQ(BashSyntaxErrors(script), "");
}

TEST(SlurmScriptsTest, QuotesPathsInTheScriptBody) {
  SlurmJob job = CoordinatorJob();
  job.db = "/shared/it's here/runs.db";
  const std::string script = CoordinatorJobScript(job);
  EXPECT_NE(script.find("--db '/shared/it'\\''s here/runs.db'"), std::string::npos);
  EXPECT_EQ(BashSyntaxErrors(script), "");
}

}  // namespace
}  // namespace chromatune::worker
