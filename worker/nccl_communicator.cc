#include "worker/nccl_communicator.h"

#include <utility>

namespace chromatune {
namespace {

Status CudaStatus(const char* call, cudaError_t rc) {
  if (rc == cudaSuccess) return Status::Ok();
  return Internal(std::string(call) + ": " + cudaGetErrorString(rc));
}

Status NcclStatus(const char* call, ncclResult_t rc) {
  if (rc == ncclSuccess) return Status::Ok();
  return Internal(std::string(call) + ": " + ncclGetErrorString(rc));
}

// The communicator's asynchronous error (a peer gone, a network failure), if any.
Status AsyncError(ncclComm_t comm, const char* call) {
  ncclResult_t async = ncclSuccess;
  CT_RETURN_IF_ERROR(NcclStatus("ncclCommGetAsyncError", ncclCommGetAsyncError(comm, &async)));
  return NcclStatus(call, async);
}

class FailedHandle final : public CollectiveHandle {
 public:
  explicit FailedHandle(Status status) : status_(std::move(status)) {}
  Status Wait() override { return status_; }

 private:
  Status status_;
};

}  // namespace

// An event recorded on the private stream after the all-reduce.
class NcclCommunicator::Handle final : public CollectiveHandle {
 public:
  Handle(ncclComm_t comm, cudaEvent_t event, int device)
      : comm_(comm), event_(event), device_(device) {}
  ~Handle() override {
    if (event_ != nullptr) {
      (void)Wait();
      cudaEventDestroy(event_);
    }
  }
  Status Wait() override {
    if (!waited_) {
      waited_ = true;
      cudaSetDevice(device_);
      status_ = CudaStatus("cudaEventSynchronize (all-reduce)", cudaEventSynchronize(event_));
      if (status_.ok()) status_ = AsyncError(comm_, "ncclAllReduce");
    }
    return status_;
  }

 private:
  ncclComm_t comm_;
  cudaEvent_t event_;
  int device_;
  bool waited_ = false;
  Status status_;
};

Result<std::unique_ptr<NcclCommunicator>> NcclCommunicator::Create(Communicator& bootstrap,
                                                                   int device) {
  int devices = 0;
  CT_RETURN_IF_ERROR(CudaStatus("cudaGetDeviceCount", cudaGetDeviceCount(&devices)));
  if (device < 0 || device >= devices) {
    return InvalidArgument("NcclCommunicator: CUDA device " + std::to_string(device) +
                           " does not exist (this machine has " + std::to_string(devices) + ")");
  }
  CT_RETURN_IF_ERROR(CudaStatus("cudaSetDevice", cudaSetDevice(device)));
  ncclUniqueId id;
  if (bootstrap.rank() == 0) {
    CT_RETURN_IF_ERROR(NcclStatus("ncclGetUniqueId", ncclGetUniqueId(&id)));
  }
  CT_RETURN_IF_ERROR(bootstrap.Broadcast(&id, sizeof(id), 0)
                         .WithContext("NcclCommunicator: sending the NCCL unique id"));
  ncclComm_t comm = nullptr;
  CT_RETURN_IF_ERROR(NcclStatus("ncclCommInitRank",
                                ncclCommInitRank(&comm, bootstrap.size(), id, bootstrap.rank())));
  cudaStream_t stream = nullptr;
  Status s = CudaStatus("cudaStreamCreate", cudaStreamCreate(&stream));
  float* scratch = nullptr;
  if (s.ok()) {
    s = CudaStatus("cudaMalloc", cudaMalloc(reinterpret_cast<void**>(&scratch), sizeof(float)));
  }
  if (!s.ok()) {
    if (stream != nullptr) cudaStreamDestroy(stream);
    ncclCommDestroy(comm);
    return s;
  }
  return std::unique_ptr<NcclCommunicator>(
      new NcclCommunicator(comm, stream, scratch, bootstrap.rank(), bootstrap.size(), device));
}

NcclCommunicator::NcclCommunicator(ncclComm_t comm, cudaStream_t stream, float* scratch, int rank,
                                   int size, int device)
    : comm_(comm), stream_(stream), scratch_(scratch), rank_(rank), size_(size), device_(device) {}

NcclCommunicator::~NcclCommunicator() {
  cudaSetDevice(device_);
  cudaStreamSynchronize(stream_);
  cudaFree(scratch_);
  cudaStreamDestroy(stream_);
  ncclCommDestroy(comm_);
}

Status NcclCommunicator::Prepare(const void* data, size_t count, const char* call) {
  CT_RETURN_IF_ERROR(CudaStatus("cudaSetDevice", cudaSetDevice(device_)));
  if (count == 0) return Status::Ok();
  cudaPointerAttributes attributes;
  CT_RETURN_IF_ERROR(
      CudaStatus("cudaPointerGetAttributes", cudaPointerGetAttributes(&attributes, data)));
  if (attributes.type != cudaMemoryTypeDevice && attributes.type != cudaMemoryTypeManaged) {
    return InvalidArgument(std::string("NcclCommunicator::") + call +
                           ": the buffer is host memory; NCCL needs CUDA device memory (send "
                           "host data over the MPI communicator)");
  }
  if (attributes.device != device_) {
    return InvalidArgument(std::string("NcclCommunicator::") + call + ": the buffer is on CUDA " +
                           "device " + std::to_string(attributes.device) +
                           " but this communicator uses device " + std::to_string(device_));
  }
  return Status::Ok();
}

Status NcclCommunicator::Sync(const char* call) {
  CT_RETURN_IF_ERROR(CudaStatus("cudaStreamSynchronize", cudaStreamSynchronize(stream_)));
  return AsyncError(comm_, call);
}

Status NcclCommunicator::AllReduceSum(float* data, size_t count) {
  return AllReduceSumAsync(data, count)->Wait();
}

std::unique_ptr<CollectiveHandle> NcclCommunicator::AllReduceSumAsync(float* data, size_t count) {
  Status s = Prepare(data, count, "AllReduceSumAsync");
  if (s.ok()) {
    s = NcclStatus("ncclAllReduce",
                   ncclAllReduce(data, data, count, ncclFloat32, ncclSum, comm_, stream_));
  }
  cudaEvent_t event = nullptr;
  if (s.ok()) {
    s = CudaStatus("cudaEventCreateWithFlags",
                   cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  }
  if (s.ok()) s = CudaStatus("cudaEventRecord", cudaEventRecord(event, stream_));
  if (!s.ok()) {
    if (event != nullptr) cudaEventDestroy(event);
    return std::make_unique<FailedHandle>(s);
  }
  return std::make_unique<Handle>(comm_, event, device_);
}

Status NcclCommunicator::Broadcast(void* data, size_t count, int root) {
  if (root < 0 || root >= size_) {
    return InvalidArgument("NcclCommunicator::Broadcast: root " + std::to_string(root) +
                           " is not a rank of a group of " + std::to_string(size_));
  }
  CT_RETURN_IF_ERROR(Prepare(data, count, "Broadcast"));
  CT_RETURN_IF_ERROR(NcclStatus("ncclBroadcast",
                                ncclBroadcast(data, data, count, ncclUint8, root, comm_, stream_)));
  return Sync("ncclBroadcast");
}

Status NcclCommunicator::Barrier() {
  CT_RETURN_IF_ERROR(CudaStatus("cudaSetDevice", cudaSetDevice(device_)));
  CT_RETURN_IF_ERROR(
      NcclStatus("ncclAllReduce (barrier)",
                 ncclAllReduce(scratch_, scratch_, 1, ncclFloat32, ncclSum, comm_, stream_)));
  return Sync("ncclAllReduce (barrier)");
}

}  // namespace chromatune
