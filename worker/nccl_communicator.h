// NcclCommunicator: the Communicator (common/communicator.h) over NCCL, for CUDA tensors.
// Built only where a CUDA LibTorch and nccl.h are found (worker/nccl.cmake defines
// CHROMATUNE_HAVE_NCCL and the ct_nccl library); CPU builds never see this file compiled.
//
// Memory: every buffer passed to AllReduceSum, AllReduceSumAsync and Broadcast must be CUDA
// device memory on this communicator's device (kInvalidArgument otherwise); host data such
// as trial specs goes over the bootstrap (MPI) communicator instead. BroadcastString, which
// uses a host buffer, is therefore not available here (kInvalidArgument).
//
// Streams: collectives run on a private stream created with default (blocking) flags, so
// they are ordered after work already queued on the legacy default stream, which is
// LibTorch's default current stream, and work queued there later waits for them. Code that
// moves LibTorch onto other streams must synchronise them itself.
//
// Bootstrap: rank 0 creates the ncclUniqueId and broadcasts it over `bootstrap` (an
// MpiCommunicator for several processes; a LocalCommunicator for one).
//
// Threads: NCCL calls may come from any thread (autograd runs CUDA hooks on a device
// thread), one at a time per communicator. Each call first selects this communicator's
// device on the calling thread.
//
// Failures: a rank that fails to initialise leaves the others blocked in ncclCommInitRank;
// the launcher's timeout (or MpiEnv::Abort on the failing rank) ends the group.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "common/communicator.h"
#include "common/status.h"

namespace chromatune {

class NcclCommunicator final : public Communicator {
 public:
  // A collective over `bootstrap`'s ranks: rank r of the new communicator is bootstrap rank
  // r, using CUDA device `device`. Errors: kInvalidArgument for a device that does not exist,
  // kInternal for CUDA or NCCL failures (with their error text), the bootstrap's errors.
  static Result<std::unique_ptr<NcclCommunicator>> Create(Communicator& bootstrap, int device);

  // Waits for the private stream and destroys the NCCL communicator.
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }
  int device() const { return device_; }

  // ncclAllReduce(ncclFloat32, ncclSum) in place, then waits for the stream.
  Status AllReduceSum(float* data, size_t count) override;
  // ncclAllReduce queued on the private stream; Wait() synchronises on an event recorded
  // after it and reports asynchronous NCCL errors. Never null.
  std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float* data, size_t count) override;
  // ncclBroadcast of bytes (device memory), then waits for the stream.
  Status Broadcast(void* data, size_t count, int root) override;
  // An all-reduce of one float on a device scratch buffer, waited.
  Status Barrier() override;

 private:
  class Handle;

  NcclCommunicator(ncclComm_t comm, cudaStream_t stream, float* scratch, int rank, int size,
                   int device);
  // Selects the device on this thread and checks that `data` is device memory on it.
  Status Prepare(const void* data, size_t count, const char* call);
  // Synchronises the stream and turns CUDA/NCCL errors into a Status.
  Status Sync(const char* call);

  ncclComm_t comm_;
  cudaStream_t stream_;
  float* scratch_;  // one device float for Barrier
  int rank_;
  int size_;
  int device_;
};

}  // namespace chromatune
