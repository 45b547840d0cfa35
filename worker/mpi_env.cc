#include "worker/mpi_env.h"

#include <mpi.h>

#include <cstdlib>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>

namespace chromatune {
namespace {

// Reads a non-negative integer variable; -1 when it is unset or empty.
Result<int> ReadCount(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return -1;
  long value = 0;
  const char* p = text;
  for (; *p >= '0' && *p <= '9'; ++p) {
    value = value * 10 + (*p - '0');
    if (value > 1 << 30) break;
  }
  if (p == text || value > 1 << 30 || *p != '\0') {
    return InvalidArgument(std::string("environment variable ") + name + "='" + text +
                           "' is not a non-negative integer");
  }
  return static_cast<int>(value);
}

// The name of the first of `names` that is set and not empty; nullptr when none is.
const char* FirstSet(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* text = std::getenv(name);
    if (text != nullptr && *text != '\0') return name;
  }
  return nullptr;
}

// Slurm's tasks-per-node list ("2(x3),1": 2 tasks on each of 3 nodes, then 1) read from
// `name`, for node `node` (SLURM_NODEID); -1 when `name` is null.
Result<int> TasksOnNode(const char* name, int node) {
  if (name == nullptr) return -1;
  const std::string text = std::getenv(name);
  const auto bad = [&] {
    return InvalidArgument(std::string("environment variable ") + name + "='" + text +
                           "' is not a Slurm tasks-per-node list such as 2(x3),1");
  };
  size_t pos = 0;
  int first_node = 0;  // the first node the current entry covers
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string entry = text.substr(pos, end - pos);
    const size_t paren = entry.find("(x");
    const std::string count = entry.substr(0, paren);
    std::string repeat = "1";
    if (paren != std::string::npos) {
      if (entry.back() != ')') return bad();
      repeat = entry.substr(paren + 2, entry.size() - paren - 3);
    }
    if (count.empty() || count.size() > 9 || repeat.empty() || repeat.size() > 9 ||
        count.find_first_not_of("0123456789") != std::string::npos ||
        repeat.find_first_not_of("0123456789") != std::string::npos) {
      return bad();
    }
    first_node += std::stoi(repeat);
    if (node < first_node) return std::stoi(count);
    pos = end + 1;
  }
  return InvalidArgument(std::string("environment variable ") + name + "='" + text +
                         "' lists no tasks for SLURM_NODEID=" + std::to_string(node));
}

Status Check(const LaunchInfo& info, const char* rank_var, const char* size_var) {
  if (info.size < 1) {
    return InvalidArgument(std::string("environment variable ") + size_var + " must be >= 1");
  }
  if (info.rank >= info.size) {
    return InvalidArgument(std::string("environment variable ") + rank_var + "=" +
                           std::to_string(info.rank) + " is not below " + size_var + "=" +
                           std::to_string(info.size));
  }
  if (info.local_rank >= info.local_size) {
    return InvalidArgument("local rank " + std::to_string(info.local_rank) +
                           " is not below the local size " + std::to_string(info.local_size) +
                           " (" + info.launcher + " environment)");
  }
  return Status::Ok();
}

// `local_size`: the ranks on this node, -1 when unknown.
Result<LaunchInfo> FromVars(const char* launcher, const char* rank_var, const char* size_var,
                            const char* local_rank_var, int local_size) {
  LaunchInfo info;
  info.launcher = launcher;
  CT_ASSIGN_OR_RETURN(int rank, ReadCount(rank_var));
  CT_ASSIGN_OR_RETURN(int size, ReadCount(size_var));
  CT_ASSIGN_OR_RETURN(int local_rank, ReadCount(local_rank_var));
  if (size < 0) {
    return InvalidArgument(std::string("environment variable ") + rank_var + " is set but " +
                           size_var + " is not");
  }
  info.rank = rank;
  info.size = size;
  // Without local facts, assume one rank per node.
  info.local_rank = local_rank >= 0 ? local_rank : 0;
  info.local_size = local_size >= 0 ? local_size : 1;
  CT_RETURN_IF_ERROR(Check(info, rank_var, size_var));
  return info;
}

// A task of an srun step sees the step's counts in SLURM_STEP_*; SLURM_NTASKS and
// SLURM_TASKS_PER_NODE describe the whole job, which may hold several steps (worker groups).
Result<LaunchInfo> FromSlurm() {
  CT_ASSIGN_OR_RETURN(int node, ReadCount("SLURM_NODEID"));
  CT_ASSIGN_OR_RETURN(int local_size,
                      TasksOnNode(FirstSet({"SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE",
                                            "SLURM_NTASKS_PER_NODE"}),
                                  node < 0 ? 0 : node));
  const char* size_var = FirstSet({"SLURM_STEP_NUM_TASKS"});
  return FromVars("slurm", "SLURM_PROCID", size_var ? size_var : "SLURM_NTASKS", "SLURM_LOCALID",
                  local_size);
}

}  // namespace

Result<LaunchInfo> DetectLaunch() {
  if (std::getenv("OMPI_COMM_WORLD_RANK") != nullptr) {
    CT_ASSIGN_OR_RETURN(int local_size, ReadCount("OMPI_COMM_WORLD_LOCAL_SIZE"));
    return FromVars("openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                    "OMPI_COMM_WORLD_LOCAL_RANK", local_size);
  }
  if (std::getenv("SLURM_PROCID") != nullptr) return FromSlurm();
  return LaunchInfo{};
}

Result<std::unique_ptr<MpiEnv>> MpiEnv::Init(int* argc, char*** argv) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return FailedPrecondition("MpiEnv::Init: MPI was already finalised");
  int initialized = 0;
  MPI_Initialized(&initialized);
  int provided = MPI_THREAD_SINGLE;
  bool owns = false;
  if (initialized) {
    MPI_Query_thread(&provided);
  } else {
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) return Internal(MpiErrorText("MPI_Init_thread", rc));
    owns = true;
  }
  if (provided < MPI_THREAD_FUNNELED) {
    if (owns) MPI_Finalize();
    return FailedPrecondition("MpiEnv::Init: MPI provides thread level " +
                              std::to_string(provided) +
                              ", chromatune needs at least MPI_THREAD_FUNNELED");
  }
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return std::unique_ptr<MpiEnv>(new MpiEnv(owns, provided, rank, size));
}

MpiEnv::MpiEnv(bool owns_init, int thread_level, int world_rank, int world_size)
    : owns_init_(owns_init),
      thread_level_(thread_level),
      world_rank_(world_rank),
      world_size_(world_size) {}

MpiEnv::~MpiEnv() {
  if (!owns_init_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Result<std::unique_ptr<MpiCommunicator>> MpiEnv::World() const {
  return MpiCommunicator::Create(MPI_COMM_WORLD);
}

void MpiEnv::Abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

Status EnsureMpiInitialized() {
  static std::once_flag once;
  static Status status;
  static std::unique_ptr<MpiEnv> env;
  std::call_once(once, [] {
    auto result = MpiEnv::Init();
    if (!result.ok()) {
      status = result.status();
      return;
    }
    env = std::move(result).value();
    // Finalise at exit, after main's communicators are gone.
    std::atexit([] { env.reset(); });
  });
  return status;
}

}  // namespace chromatune
