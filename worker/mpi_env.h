// MpiEnv: MPI initialisation and finalisation (RAII) and the launch facts a rank can read
// from its environment before or without MPI.
//
// Ranks are started by OpenMPI's `mpirun` or Slurm's `srun` (DESIGN.md, "Existing engines
// for scale"); a process started by hand is a singleton (rank 0 of 1).
//
// Thread level: MpiEnv requests MPI_THREAD_SERIALIZED (any thread may call MPI, never two
// at once) and fails if the library provides less than MPI_THREAD_FUNNELED. chromatune
// calls MPI from the thread that runs the trial (autograd runs CPU hooks on the thread
// that called backward()); other threads (heartbeats, HTTP) must not call MPI. NCCL work
// from CUDA autograd threads goes through NCCL, not MPI.
//
// Only one MpiEnv may own initialisation in a process (MPI can be initialised once). An
// MpiEnv created while MPI is already initialised (by another MpiEnv, a test helper or a
// library) borrows it and does not finalise.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "worker/mpi_communicator.h"

namespace chromatune {

// Rank facts from the launcher's environment, readable before MPI_Init (for example to pick
// a GPU by local rank before creating CUDA contexts). Variables read, in order:
//   OpenMPI: OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK,
//            OMPI_COMM_WORLD_LOCAL_SIZE
//   Slurm:   SLURM_PROCID, SLURM_STEP_NUM_TASKS (else SLURM_NTASKS), SLURM_LOCALID, and
//            this node's (SLURM_NODEID) entry of SLURM_STEP_TASKS_PER_NODE (else
//            SLURM_TASKS_PER_NODE, else SLURM_NTASKS_PER_NODE), lists such as "2(x3),1"
// When none is set: {0, 1, 0, 1, "none"}.
struct LaunchInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  std::string launcher = "none";  // "openmpi", "slurm" or "none"
};

// Reads LaunchInfo from the environment. A variable that is set but not a non-negative
// integer, or a rank not below the size, is kInvalidArgument naming the variable.
Result<LaunchInfo> DetectLaunch();

class MpiEnv {
 public:
  // Initialises MPI (MPI_Init_thread, SERIALIZED requested) unless it is already
  // initialised. argc/argv may be null. Errors: kFailedPrecondition when MPI was already
  // finalised in this process or the thread level provided is below FUNNELED; kInternal
  // for a failing MPI_Init_thread.
  static Result<std::unique_ptr<MpiEnv>> Init(int* argc = nullptr, char*** argv = nullptr);

  // Finalises MPI if this object initialised it. Every communicator created from it must be
  // destroyed first (they free their MPI_Comm).
  ~MpiEnv();
  MpiEnv(const MpiEnv&) = delete;
  MpiEnv& operator=(const MpiEnv&) = delete;

  // A new communicator over all ranks (a duplicate of MPI_COMM_WORLD, so its traffic never
  // mixes with other users of the world communicator).
  Result<std::unique_ptr<MpiCommunicator>> World() const;

  int world_rank() const { return world_rank_; }
  int world_size() const { return world_size_; }
  // The MPI thread level provided (MPI_THREAD_FUNNELED, _SERIALIZED or _MULTIPLE).
  int thread_level() const { return thread_level_; }
  // Whether this object initialised MPI (and will finalise it).
  bool owns_init() const { return owns_init_; }

  // Ends every rank of MPI_COMM_WORLD with `code` (MPI_Abort): for a rank that cannot go on
  // while others would block forever in a collective.
  [[noreturn]] static void Abort(int code);

 private:
  MpiEnv(bool owns_init, int thread_level, int world_rank, int world_size);

  bool owns_init_;
  int thread_level_;
  int world_rank_;
  int world_size_;
};

// Process-wide MPI for tests and tools that have no main of their own: initialises MPI on
// the first call (through MpiEnv) and finalises it at process exit. Returns the
// initialisation error, if any, on every call.
Status EnsureMpiInitialized();

}  // namespace chromatune
