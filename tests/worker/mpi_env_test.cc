// MpiEnv and DetectLaunch tests; rank-count independent like mpi_communicator_test.cc.
#include "worker/mpi_env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace chromatune {
namespace {

// Sets or clears environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  ~ScopedEnv() {
    for (auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  void Set(const std::string& name, const char* value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) {
      setenv(name.c_str(), value, 1);
    } else {
      unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// Clears every launcher variable DetectLaunch reads.
void ClearLaunchVars(ScopedEnv& env) {
  for (const char* name :
       {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
        "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID",
        "SLURM_NTASKS_PER_NODE", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_TASKS_PER_NODE",
        "SLURM_TASKS_PER_NODE", "SLURM_NODEID"}) {
    env.Set(name, nullptr);
  }
}

TEST(MpiEnvTest, BorrowsAnInitialisedMpi) {
  ASSERT_TRUE(EnsureMpiInitialized().ok());
  auto env = MpiEnv::Init();
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_FALSE(env.value()->owns_init());
  EXPECT_GE(env.value()->thread_level(), MPI_THREAD_FUNNELED);
  int rank = -1;
  int size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(env.value()->world_rank(), rank);
  EXPECT_EQ(env.value()->world_size(), size);
  auto world = env.value()->World();
  ASSERT_TRUE(world.ok());
  EXPECT_EQ(world.value()->size(), size);
  env.value().reset();  // a borrowing env leaves MPI running
  int finalized = 1;
  MPI_Finalized(&finalized);
  EXPECT_FALSE(finalized);
  EXPECT_TRUE(world.value()->Barrier().ok());
}

TEST(DetectLaunchTest, AgreesWithMpiWorld) {
  ASSERT_TRUE(EnsureMpiInitialized().ok());
  auto info = DetectLaunch();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  int rank = -1;
  int size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(info->rank, rank);
  EXPECT_EQ(info->size, size);
  EXPECT_LT(info->local_rank, info->local_size);
}

TEST(DetectLaunchTest, NoLauncherIsSingleton) {
  ScopedEnv env;
  ClearLaunchVars(env);
  auto info = DetectLaunch();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->launcher, "none");
  EXPECT_EQ(info->rank, 0);
  EXPECT_EQ(info->size, 1);
}

// DetectLaunch() as "launcher rank/size, local local_rank/local_size" (or its error), so
// that one comparison states the whole expectation.
std::string DetectedLaunch() {
  auto info = DetectLaunch();
  if (!info.ok()) return info.status().ToString();
  return info->launcher + " " + std::to_string(info->rank) + "/" + std::to_string(info->size) +
         ", local " + std::to_string(info->local_rank) + "/" + std::to_string(info->local_size);
}

TEST(DetectLaunchTest, ReadsOpenMpi) {
  ScopedEnv env;
  ClearLaunchVars(env);
  env.Set("OMPI_COMM_WORLD_RANK", "3");
  env.Set("OMPI_COMM_WORLD_SIZE", "4");
  env.Set("OMPI_COMM_WORLD_LOCAL_RANK", "1");
  env.Set("OMPI_COMM_WORLD_LOCAL_SIZE", "2");
  env.Set("SLURM_PROCID", "0");  // OpenMPI wins when both are present (mpirun inside Slurm)
  env.Set("SLURM_NTASKS", "1");
  EXPECT_EQ(DetectedLaunch(), "openmpi 3/4, local 1/2");
}

TEST(DetectLaunchTest, ReadsSlurmIncludingTaskLists) {
  ScopedEnv env;
  ClearLaunchVars(env);
  env.Set("SLURM_PROCID", "5");
  env.Set("SLURM_NTASKS", "6");
  env.Set("SLURM_LOCALID", "2");
  env.Set("SLURM_NTASKS_PER_NODE", "3(x2)");
  EXPECT_EQ(DetectedLaunch(), "slurm 5/6, local 2/3");
}

// What a task of `srun --ntasks=2` sees inside a job of 4 tasks (two worker groups as
// steps): the step's counts, not the job's; the local size is this node's list entry.
TEST(DetectLaunchTest, SlurmStepCountsWinOverTheJobs) {
  ScopedEnv env;
  ClearLaunchVars(env);
  env.Set("SLURM_PROCID", "1");
  env.Set("SLURM_NTASKS", "4");
  env.Set("SLURM_TASKS_PER_NODE", "4");
  env.Set("SLURM_STEP_NUM_TASKS", "2");
  env.Set("SLURM_STEP_TASKS_PER_NODE", "2");
  env.Set("SLURM_LOCALID", "1");
  env.Set("SLURM_NODEID", "0");
  auto info = DetectLaunch();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 2);
  EXPECT_EQ(info->local_size, 2);
  // On the third node of "2(x2),3" the local size is 3.
  env.Set("SLURM_STEP_NUM_TASKS", "7");
  env.Set("SLURM_STEP_TASKS_PER_NODE", "2(x2),3");
  env.Set("SLURM_PROCID", "6");
  env.Set("SLURM_LOCALID", "2");
  env.Set("SLURM_NODEID", "2");
  info = DetectLaunch();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->local_size, 3);
  env.Set("SLURM_NODEID", "3");
  info = DetectLaunch();
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("lists no tasks for SLURM_NODEID=3"), std::string::npos);
  env.Set("SLURM_STEP_TASKS_PER_NODE", "2(x");
  info = DetectLaunch();
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("SLURM_STEP_TASKS_PER_NODE='2(x'"), std::string::npos);
}

TEST(DetectLaunchTest, MissingLocalFactsMeanOneRankPerNode) {
  ScopedEnv env;
  ClearLaunchVars(env);
  env.Set("SLURM_PROCID", "1");
  env.Set("SLURM_NTASKS", "2");
  auto info = DetectLaunch();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->local_rank, 0);
  EXPECT_EQ(info->local_size, 1);
}

TEST(DetectLaunchTest, BadValuesNameTheVariable) {
  struct Case {
    const char* rank;
    const char* size;
    const char* expected;
  };
  for (const Case& c :
       {Case{"abc", "2", "SLURM_PROCID='abc'"}, Case{"1", "-2", "SLURM_NTASKS"},
        Case{"2", "2", "SLURM_PROCID=2 is not below SLURM_NTASKS=2"},
        Case{"0", "0", "SLURM_NTASKS must be >= 1"}, Case{"0", nullptr, "SLURM_NTASKS is not"}}) {
    ScopedEnv env;
    ClearLaunchVars(env);
    env.Set("SLURM_PROCID", c.rank);
    env.Set("SLURM_NTASKS", c.size);
    auto info = DetectLaunch();
    ASSERT_FALSE(info.ok()) << c.rank;
    EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(info.status().message().find(c.expected), std::string::npos)
        << info.status().message();
  }
}

TEST(DetectLaunchTest, LocalRankMustBeBelowLocalSize) {
  ScopedEnv env;
  ClearLaunchVars(env);
  env.Set("OMPI_COMM_WORLD_RANK", "0");
  env.Set("OMPI_COMM_WORLD_SIZE", "2");
  env.Set("OMPI_COMM_WORLD_LOCAL_RANK", "2");
  env.Set("OMPI_COMM_WORLD_LOCAL_SIZE", "2");
  auto info = DetectLaunch();
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("local rank 2"), std::string::npos);
}

}  // namespace
}  // namespace chromatune
