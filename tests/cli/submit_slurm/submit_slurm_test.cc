// `chromatune submit --launcher slurm` end to end without a cluster: what --dry-run prints,
// how bad options are refused (exit 2, nothing written), and the error when sbatch is
// missing. Submissions to a real Slurm are tests/cluster/slurm_test.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "worker/subprocess.h"

namespace chromatune {
namespace {

namespace fs = std::filesystem;

class SubmitSlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("submit-slurm-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    sweep_ = (dir_ / "sweep.yaml").string();
    std::ofstream(sweep_) << "name: slurm-cli\ntask: classification\ndataset: fashion-mnist\n"
                             "shots: [1]\nreplicates: {data_seeds: [1], train_seeds: [1, 2]}\n"
                             "methods:\n  - {name: noop, sleep_ms: 10}\n";
    tokens_ = (dir_ / "tokens").string();
    std::ofstream(tokens_) << "ann 0123456789abcdef0123\n";
    log_dir_ = (dir_ / "logs").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `chromatune submit SWEEP ARGS...` (through `env` when `env` is non-empty).
  worker::ProgramRun Submit(const std::vector<std::string>& args,
                            const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv;
    if (!env.empty()) {
      argv.push_back("env");
      argv.insert(argv.end(), env.begin(), env.end());
    }
    argv.insert(argv.end(), {CHROMATUNE_EXE, "submit", sweep_, "--launcher", "slurm"});
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = worker::RunProgram(argv);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? *run : worker::ProgramRun{-1, "", ""};
  }

  fs::path dir_;
  std::string sweep_;
  std::string tokens_;
  std::string log_dir_;
};

TEST_F(SubmitSlurmTest, DryRunPrintsBothScriptsAndWritesNothing) {
  auto run = Submit({"--dry-run", "--groups", "3", "--ranks", "2", "--partition", "debug", "--time",
                     "30", "--token-file", tokens_, "--log-dir", log_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& out = run.out;
  EXPECT_NE(out.find("# ==== " + log_dir_ + "/coordinator.sbatch"), std::string::npos) << out;
  EXPECT_NE(out.find("--dependency=after:COORDINATOR_JOB " + log_dir_ + "/workers.sbatch"),
            std::string::npos);
  EXPECT_NE(out.find("#SBATCH --job-name=ct-slurm-cli-coordinator"), std::string::npos);
  EXPECT_NE(out.find("#SBATCH --array=0-2"), std::string::npos);
  EXPECT_NE(out.find("#SBATCH --partition=debug"), std::string::npos);
  EXPECT_NE(out.find("#SBATCH --time=30"), std::string::npos);
  EXPECT_NE(out.find("--db '" + log_dir_ + "/runs.db'"), std::string::npos);
  EXPECT_NE(out.find("--token-file '" + tokens_ + "'"), std::string::npos);
  EXPECT_NE(out.find("ct='" + std::string(CHROMATUNE_EXE)), std::string::npos)
      << "the scripts run this very binary";
  EXPECT_FALSE(fs::exists(log_dir_)) << "--dry-run writes nothing";
}

TEST_F(SubmitSlurmTest, DryRunForAnExistingCoordinatorHasNoCoordinatorJob) {
  auto run = Submit({"--dry-run", "--coordinator", "login1:7321", "--log-dir", log_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find("coordinator.sbatch"), std::string::npos);
  EXPECT_NE(run.out.find("coordinator='login1:7321'"), std::string::npos);
  EXPECT_EQ(run.out.find("--dependency"), std::string::npos);
}

TEST_F(SubmitSlurmTest, BadOptionsExit2WithTheOptionNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--time", "2h"}, "--time \"2h\": not a Slurm time"},
      {{"--groups", "5", "--groups-per-job", "2"}, "is not a multiple of --groups-per-job 2"},
      {{"--ranks", "0"}, "--ranks 0: must be in 1..4096"},
      {{"--log-dir", "/tmp/a b"}, "must not contain whitespace"},
      {{"--coordinator-listen", "0.0.0.0:0"}, "needs --token-file"},
      {{"--coordinator", "login1"}, "--coordinator \"login1\": expected HOST:PORT"},
      {{"--db", "x.db", "--coordinator", "login1:1"}, "--coordinator excludes --db"},
      {{"--wait", "--coordinator-listen", "127.0.0.1:0"}, "--wait needs --coordinator"},
      {{"--token-file", "/nonexistent/tokens"}, "/nonexistent/tokens"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--log-dir", log_dir_});
    if (args[0] == "--log-dir") all.resize(2);
    auto run = Submit(all);
    EXPECT_EQ(run.exit_code, 2) << args[0] << ": " << run.out << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << args[0] << ": " << run.err;
  }
  EXPECT_FALSE(fs::exists(log_dir_)) << "a refused submission writes nothing";
}

TEST_F(SubmitSlurmTest, SlurmOptionsNeedTheLauncher) {
  auto run = worker::RunProgram(
      {CHROMATUNE_EXE, "submit", sweep_, "--coordinator", "h:1", "--partition", "gpu"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 2);
  EXPECT_NE(run->err.find("--partition requires --launcher"), std::string::npos) << run->err;
}

TEST_F(SubmitSlurmTest, MissingSbatchIsAClearFailure) {
  auto run = Submit({"--log-dir", log_dir_, "--coordinator-listen", "127.0.0.1:0"},
                    {"PATH=" + dir_.string()});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("cannot start sbatch"), std::string::npos) << run.err;
  EXPECT_TRUE(fs::exists(log_dir_ + "/coordinator.sbatch"))
      << "the scripts stay, to be submitted by hand";
}

}  // namespace
}  // namespace chromatune
