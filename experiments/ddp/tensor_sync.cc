#include "experiments/ddp/tensor_sync.h"

#include <unordered_set>

namespace chromatune::ddp {
namespace {

std::string TensorName(size_t index) { return "tensor " + std::to_string(index); }

// The device rules of each backend (common/communicator.h): MPI reads host memory, NCCL
// device memory, the local communicator touches nothing.
Status CheckDevice(const torch::Device& device, const std::string& backend) {
  if (backend == "mpi" && !device.is_cpu()) {
    return InvalidArgument("the mpi communicator reduces host memory, but the tensors are on " +
                           device.str() + " (use the nccl communicator for CUDA parameters)");
  }
  if (backend == "nccl" && !device.is_cuda()) {
    return InvalidArgument("the nccl communicator reduces CUDA memory, but the tensors are on " +
                           device.str());
  }
  return Status::Ok();
}

}  // namespace

Status CheckReducibleTensors(const std::vector<torch::Tensor>& tensors,
                             const std::string& backend) {
  std::unordered_set<const void*> seen;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const torch::Tensor& t = tensors[i];
    if (!t.defined()) return InvalidArgument(TensorName(i) + " is undefined");
    if (t.scalar_type() != torch::kFloat32) {
      return InvalidArgument(TensorName(i) + " has dtype " +
                             std::string(c10::toString(t.scalar_type())) +
                             "; data-parallel training supports float32 only");
    }
    if (t.layout() != torch::kStrided || !t.is_contiguous()) {
      return InvalidArgument(TensorName(i) + " is not a dense contiguous tensor");
    }
    if (t.device() != tensors.front().device()) {
      return InvalidArgument(TensorName(i) + " is on " + t.device().str() + " but " +
                             TensorName(0) + " is on " + tensors.front().device().str());
    }
    if (!seen.insert(t.unsafeGetTensorImpl()).second) {
      return InvalidArgument(TensorName(i) + " appears twice in the list");
    }
  }
  if (!tensors.empty()) CT_RETURN_IF_ERROR(CheckDevice(tensors.front().device(), backend));
  return Status::Ok();
}

Status BroadcastTensors(const std::vector<torch::Tensor>& tensors, Communicator* comm, int root) {
  CT_RETURN_IF_ERROR(CheckReducibleTensors(tensors, comm->backend()));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const torch::Tensor& t = tensors[i];
    CT_RETURN_IF_ERROR(comm->Broadcast(t.data_ptr(), t.numel() * t.element_size(), root)
                           .WithContext("broadcast of tensor " + std::to_string(i)));
  }
  return Status::Ok();
}

Status VerifyReplicas(const std::vector<torch::Tensor>& tensors, Communicator* comm) {
  CT_RETURN_IF_ERROR(CheckReducibleTensors(tensors, comm->backend()));
  if (tensors.empty()) return Status::Ok();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  const torch::Tensor mine = torch::cat(flat);
  torch::Tensor roots = mine.clone();
  CT_RETURN_IF_ERROR(comm->Broadcast(roots.data_ptr(), roots.numel() * roots.element_size(), 0)
                         .WithContext("VerifyReplicas"));
  // Compare bit patterns, not values: NaN != NaN and -0 == 0 would hide or invent differences.
  const torch::Tensor mine_bits = mine.view(torch::kInt32);
  const torch::Tensor root_bits = roots.view(torch::kInt32);
  std::vector<float> differs(tensors.size(), 0.0f);
  int64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const int64_t n = tensors[i].numel();
    if (!torch::equal(mine_bits.narrow(0, offset, n), root_bits.narrow(0, offset, n))) {
      differs[i] = 1.0f;
    }
    offset += n;
  }
  torch::Tensor counts = torch::tensor(differs, mine.options());
  CT_RETURN_IF_ERROR(
      comm->AllReduceSum(counts.data_ptr<float>(), differs.size()).WithContext("VerifyReplicas"));
  counts = counts.cpu();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const float n = counts[static_cast<int64_t>(i)].item<float>();
    if (n > 0) {
      return FailedPrecondition("replicas differ: tensor " + std::to_string(i) + " differs from " +
                                "rank 0 on " + std::to_string(static_cast<int>(n)) + " of " +
                                std::to_string(comm->size()) + " ranks");
    }
  }
  return Status::Ok();
}

}  // namespace chromatune::ddp
