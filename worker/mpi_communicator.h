// MpiCommunicator: the Communicator (common/communicator.h) over an MPI communicator, for
// CPU tensors (host memory only; CUDA tensors go through NcclCommunicator).
//
// Ownership: each MpiCommunicator owns a private duplicate of the MPI_Comm it was made from
// (MPI_Comm_dup) and frees it in its destructor, which must run before MPI_Finalize (that
// is, before the MpiEnv that initialised MPI is destroyed). Errors on it are returned, not
// fatal (MPI_ERRORS_RETURN), and come back as Status naming the call.
//
// Threads: not thread-safe. Calls must come from one thread at a time (MPI_THREAD_SERIALIZED,
// see worker/mpi_env.h); in practice the thread that runs the trial.
//
// Progress: OpenMPI advances non-blocking collectives only inside MPI calls. Each
// AllReduceSumAsync therefore also tests the requests still pending on this communicator,
// so that gradient buckets launched earlier in a backward pass make progress while later
// ones are launched (the overlap of experiments/ddp/).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/communicator.h"
#include "common/status.h"

namespace chromatune {

class MpiCommunicator final : public Communicator {
 public:
  // Split colour for a rank that joins no sub-communicator (MPI_UNDEFINED).
  static constexpr int kNoColor = -1;

  // Duplicates `comm` (which the caller keeps owning). Requires MPI to be initialised
  // (kFailedPrecondition otherwise).
  static Result<std::unique_ptr<MpiCommunicator>> Create(MPI_Comm comm);

  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  // MPI_Allreduce(MPI_IN_PLACE, MPI_FLOAT, MPI_SUM). Host memory only. count may be 0.
  Status AllReduceSum(float* data, size_t count) override;
  // MPI_Iallreduce; the handle's Wait() is MPI_Wait. Never null; a failed start yields a
  // handle whose Wait() returns the error. Every handle must be waited (or destroyed, which
  // waits) before this communicator is destroyed.
  std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float* data, size_t count) override;
  // MPI_Bcast of bytes; `root` must be in [0, size) (kInvalidArgument otherwise).
  Status Broadcast(void* data, size_t count, int root) override;
  Status Barrier() override;

  // Collective over this communicator (MPI_Comm_split): ranks with the same colour form a
  // new communicator, ordered by `key` (ties by current rank). Every rank must call it.
  // color must be >= 0 or kNoColor; a rank passing kNoColor gets an ok result holding
  // nullptr. Used to run a worker group of R ranks as smaller trials on sub-groups.
  Result<std::unique_ptr<MpiCommunicator>> Split(int color, int key);

  // The underlying (duplicated) communicator, for code that needs raw MPI (for example the
  // NCCL bootstrap). Owned by this object.
  MPI_Comm comm() const { return comm_; }

 private:
  struct Pending;  // an in-flight request, shared with its handle
  class Handle;

  MpiCommunicator(MPI_Comm owned, int rank, int size);
  // Tests every pending request once (drives progress) and forgets completed ones.
  void PokePending();

  MPI_Comm comm_;
  int rank_;
  int size_;
  std::vector<std::weak_ptr<Pending>> pending_;
};

// Text of an MPI error code, "MPI_Allreduce: MPI_ERR_COUNT: invalid count argument".
std::string MpiErrorText(const char* call, int code);

}  // namespace chromatune
