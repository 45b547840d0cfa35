#include "worker/mpi_communicator.h"

#include <algorithm>
#include <climits>
#include <utility>

namespace chromatune {
namespace {

// MPI counts are int; longer buffers go in chunks of at most this many elements.
constexpr size_t kMaxChunk = static_cast<size_t>(INT_MAX);

Status MpiStatus(const char* call, int code) {
  if (code == MPI_SUCCESS) return Status::Ok();
  return Internal(MpiErrorText(call, code));
}

bool MpiReady() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

}  // namespace

std::string MpiErrorText(const char* call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  std::string out = call;
  if (MPI_Error_string(code, text, &len) == MPI_SUCCESS) {
    out += ": ";
    out.append(text, static_cast<size_t>(len));
  } else {
    out += ": MPI error " + std::to_string(code);
  }
  return out;
}

// Requests of one asynchronous all-reduce (one per chunk). Shared by the handle (which
// waits) and the communicator (which tests it to drive progress).
struct MpiCommunicator::Pending {
  std::vector<MPI_Request> requests;
  Status status;  // first error seen by a test or wait
  bool done = false;

  // MPI_Testall; records completion or the error.
  void Test() {
    if (done) return;
    int flag = 0;
    int rc =
        MPI_Testall(static_cast<int>(requests.size()), requests.data(), &flag, MPI_STATUSES_IGNORE);
    if (rc != MPI_SUCCESS) {
      status = MpiStatus("MPI_Testall (all-reduce)", rc);
      done = true;
    } else if (flag) {
      done = true;
    }
  }

  Status Wait() {
    if (!done) {
      int rc = MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
      if (rc != MPI_SUCCESS) status = MpiStatus("MPI_Waitall (all-reduce)", rc);
      done = true;
    }
    return status;
  }
};

class MpiCommunicator::Handle final : public CollectiveHandle {
 public:
  explicit Handle(std::shared_ptr<Pending> pending) : pending_(std::move(pending)) {}
  // A request must complete before its buffer or communicator goes away.
  ~Handle() override {
    if (pending_ && !pending_->done) (void)pending_->Wait();
  }
  Status Wait() override { return pending_->Wait(); }

 private:
  std::shared_ptr<Pending> pending_;
};

namespace {

// A handle for a collective that failed to start.
class FailedHandle final : public CollectiveHandle {
 public:
  explicit FailedHandle(Status status) : status_(std::move(status)) {}
  Status Wait() override { return status_; }

 private:
  Status status_;
};

}  // namespace

Result<std::unique_ptr<MpiCommunicator>> MpiCommunicator::Create(MPI_Comm comm) {
  if (!MpiReady()) {
    return FailedPrecondition("MpiCommunicator::Create: MPI is not initialised (use MpiEnv)");
  }
  if (comm == MPI_COMM_NULL) return InvalidArgument("MpiCommunicator::Create: MPI_COMM_NULL");
  MPI_Comm dup = MPI_COMM_NULL;
  CT_RETURN_IF_ERROR(MpiStatus("MPI_Comm_dup", MPI_Comm_dup(comm, &dup)));
  int rc = MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
  int rank = 0;
  int size = 0;
  if (rc == MPI_SUCCESS) rc = MPI_Comm_rank(dup, &rank);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_size(dup, &size);
  if (rc != MPI_SUCCESS) {
    MPI_Comm_free(&dup);
    return MpiStatus("MpiCommunicator::Create", rc);
  }
  return std::unique_ptr<MpiCommunicator>(new MpiCommunicator(dup, rank, size));
}

MpiCommunicator::MpiCommunicator(MPI_Comm owned, int rank, int size)
    : comm_(owned), rank_(rank), size_(size) {}

MpiCommunicator::~MpiCommunicator() {
  for (auto& weak : pending_) {
    if (auto p = weak.lock()) (void)p->Wait();
  }
  if (MpiReady()) MPI_Comm_free(&comm_);
}

Status MpiCommunicator::AllReduceSum(float* data, size_t count) {
  for (size_t off = 0; off < count; off += kMaxChunk) {
    int n = static_cast<int>(std::min(kMaxChunk, count - off));
    CT_RETURN_IF_ERROR(MpiStatus(
        "MPI_Allreduce", MPI_Allreduce(MPI_IN_PLACE, data + off, n, MPI_FLOAT, MPI_SUM, comm_)));
  }
  return Status::Ok();
}

std::unique_ptr<CollectiveHandle> MpiCommunicator::AllReduceSumAsync(float* data, size_t count) {
  PokePending();
  auto pending = std::make_shared<Pending>();
  // A zero-length all-reduce is still a collective every rank takes part in.
  size_t chunks = count == 0 ? 1 : (count + kMaxChunk - 1) / kMaxChunk;
  for (size_t c = 0; c < chunks; ++c) {
    size_t off = c * kMaxChunk;
    int n = static_cast<int>(std::min(kMaxChunk, count - off));
    MPI_Request request = MPI_REQUEST_NULL;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, data + off, n, MPI_FLOAT, MPI_SUM, comm_, &request);
    if (rc != MPI_SUCCESS) {
      // Chunks already started must finish before the caller may touch the buffer.
      if (!pending->requests.empty()) (void)pending->Wait();
      return std::make_unique<FailedHandle>(MpiStatus("MPI_Iallreduce", rc));
    }
    pending->requests.push_back(request);
  }
  pending_.push_back(pending);
  return std::make_unique<Handle>(std::move(pending));
}

void MpiCommunicator::PokePending() {
  std::vector<std::weak_ptr<Pending>> still;
  for (auto& weak : pending_) {
    auto p = weak.lock();
    if (!p) continue;
    p->Test();
    if (!p->done) still.push_back(weak);
  }
  pending_.swap(still);
}

Status MpiCommunicator::Broadcast(void* data, size_t count, int root) {
  if (root < 0 || root >= size_) {
    return InvalidArgument("MpiCommunicator::Broadcast: root " + std::to_string(root) +
                           " is not a rank of a group of " + std::to_string(size_));
  }
  auto* bytes = static_cast<char*>(data);
  for (size_t off = 0; off < count; off += kMaxChunk) {
    int n = static_cast<int>(std::min(kMaxChunk, count - off));
    CT_RETURN_IF_ERROR(MpiStatus("MPI_Bcast", MPI_Bcast(bytes + off, n, MPI_BYTE, root, comm_)));
  }
  return Status::Ok();
}

Status MpiCommunicator::Barrier() { return MpiStatus("MPI_Barrier", MPI_Barrier(comm_)); }

Result<std::unique_ptr<MpiCommunicator>> MpiCommunicator::Split(int color, int key) {
  if (color < 0 && color != kNoColor) {
    return InvalidArgument("MpiCommunicator::Split: color " + std::to_string(color) +
                           " must be >= 0 or kNoColor");
  }
  MPI_Comm split = MPI_COMM_NULL;
  CT_RETURN_IF_ERROR(
      MpiStatus("MPI_Comm_split",
                MPI_Comm_split(comm_, color == kNoColor ? MPI_UNDEFINED : color, key, &split)));
  if (split == MPI_COMM_NULL) return std::unique_ptr<MpiCommunicator>();
  auto result = Create(split);
  MPI_Comm_free(&split);
  return result;
}

}  // namespace chromatune
