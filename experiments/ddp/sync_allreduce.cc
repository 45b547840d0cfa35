#include "experiments/ddp/sync_allreduce.h"

#include "experiments/ddp/tensor_sync.h"

namespace chromatune::ddp {

Status AllReduceGradients(const std::vector<torch::Tensor>& params, Communicator* comm,
                          size_t bucket_bytes) {
  std::vector<torch::Tensor> trained;
  for (const auto& p : params) {
    if (p.defined() && p.requires_grad()) trained.push_back(p);
  }
  CT_RETURN_IF_ERROR(CheckReducibleTensors(trained, comm->backend()));
  std::vector<int64_t> numels;
  for (const auto& p : trained) numels.push_back(p.numel());
  const BucketPlan plan = PlanBuckets(numels, bucket_bytes);
  torch::NoGradGuard no_grad;
  for (size_t b = 0; b < plan.buckets.size(); ++b) {
    const Bucket& bucket = plan.buckets[b];
    std::vector<torch::Tensor> parts;
    for (size_t i : bucket.params) {
      const torch::Tensor& g = trained[i].grad();
      parts.push_back(g.defined() ? g.reshape({-1})
                                  : torch::zeros({trained[i].numel()}, trained[i].options()));
    }
    torch::Tensor buffer = torch::cat(parts);
    CT_RETURN_IF_ERROR(
        comm->AllReduceSum(buffer.data_ptr<float>(), static_cast<size_t>(buffer.numel()))
            .WithContext("all-reduce of gradient bucket " + std::to_string(b)));
    buffer.div_(static_cast<double>(comm->size()));
    for (size_t slot = 0; slot < bucket.params.size(); ++slot) {
      torch::Tensor& p = trained[bucket.params[slot]];
      torch::Tensor mean = buffer.narrow(0, bucket.offsets[slot], p.numel()).view(p.sizes());
      torch::Tensor& grad = p.mutable_grad();
      if (grad.defined() && grad.sizes() == p.sizes()) {
        grad.copy_(mean);
      } else {
        grad = mean.clone();
      }
    }
  }
  return Status::Ok();
}

}  // namespace chromatune::ddp
