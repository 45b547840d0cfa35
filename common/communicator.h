// Communicator: the collective operations data-parallel training needs, independent of
// transport. worker/ implements it over MPI (CPU tensors) and NCCL (CUDA tensors); a
// single-process run uses LocalCommunicator. experiments/ trains against this interface so
// it never includes MPI or NCCL headers.
//
// Contract: every rank of the group calls the same collectives in the same order with the
// same sizes (MPI semantics). Calls on one communicator are not thread-safe unless the
// implementation says so; async all-reduce handles must be waited before reuse of the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace chromatune {

// A pending asynchronous collective.
class CollectiveHandle {
 public:
  virtual ~CollectiveHandle() = default;
  // Blocks until the collective finished; returns its status.
  virtual Status Wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "mpi", "nccl", "local".
  virtual std::string backend() const = 0;

  // In-place sum of `count` floats across ranks. `data` may be device memory for
  // backends that say so (nccl).
  virtual Status AllReduceSum(float* data, size_t count) = 0;
  // Starts an in-place sum; the buffer must stay alive and untouched until Wait().
  virtual std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float* data, size_t count) = 0;
  // Broadcast `count` bytes from `root` to every rank.
  virtual Status Broadcast(void* data, size_t count, int root) = 0;
  // Broadcast a string of any length from root (length first, then bytes).
  Status BroadcastString(std::string* s, int root);
  virtual Status Barrier() = 0;
};

// The one-rank communicator: every collective is the identity.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }
  Status AllReduceSum(float*, size_t) override { return Status::Ok(); }
  std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float*, size_t) override;
  Status Broadcast(void*, size_t, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }
};

}  // namespace chromatune
