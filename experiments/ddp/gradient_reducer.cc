#include "experiments/ddp/gradient_reducer.h"

#include <string>
#include <utility>

#include "experiments/ddp/tensor_sync.h"

namespace chromatune::ddp {
namespace {

std::string ParamName(size_t index) { return "parameter " + std::to_string(index); }

}  // namespace

Result<std::unique_ptr<GradientReducer>> GradientReducer::Create(
    const std::vector<torch::Tensor>& params, Communicator* comm, ReducerOptions options) {
  if (comm == nullptr) return InvalidArgument("GradientReducer::Create: null communicator");
  std::vector<torch::Tensor> trained;
  for (const auto& p : params) {
    if (p.defined() && p.requires_grad()) trained.push_back(p);
  }
  CT_RETURN_IF_ERROR(CheckReducibleTensors(trained, comm->backend()));
  if (options.broadcast_parameters) {
    CT_RETURN_IF_ERROR(BroadcastTensors(trained, comm, /*root=*/0)
                           .WithContext("broadcasting parameters from rank 0"));
  }
  return std::unique_ptr<GradientReducer>(new GradientReducer(std::move(trained), comm, options));
}

GradientReducer::GradientReducer(std::vector<torch::Tensor> params, Communicator* comm,
                                 ReducerOptions options)
    : params_(std::move(params)), comm_(comm), options_(options) {
  std::vector<int64_t> numels;
  for (const auto& p : params_) numels.push_back(p.numel());
  plan_ = PlanBuckets(numels, options_.bucket_bytes);
  const auto float_options = params_.empty() ? torch::TensorOptions(torch::kFloat32)
                                             : params_.front().options().requires_grad(false);
  for (const Bucket& b : plan_.buckets) buffers_.push_back(torch::zeros({b.numel}, float_options));
  views_.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const Bucket& b = plan_.buckets[plan_.bucket_of[i]];
    const int64_t offset = b.offsets[plan_.slot_of[i]];
    views_[i] =
        buffers_[plan_.bucket_of[i]].narrow(0, offset, params_[i].numel()).view(params_[i].sizes());
  }
  ResetStep();
  for (size_t i = 0; i < params_.size(); ++i) {
    hook_ids_.push_back(
        params_[i].register_hook([this, i](const torch::Tensor& grad) { OnGradient(i, grad); }));
  }
}

GradientReducer::~GradientReducer() {
  for (auto& h : handles_) {
    if (h) (void)h->Wait();
  }
  for (size_t i = 0; i < hook_ids_.size(); ++i) params_[i].remove_hook(hook_ids_[i]);
}

void GradientReducer::ResetStep() {
  ready_.assign(params_.size(), false);
  missing_.clear();
  for (const Bucket& b : plan_.buckets) missing_.push_back(b.params.size());
  next_launch_ = 0;
  handles_.clear();
  handles_.resize(plan_.buckets.size());
  launched_in_backward_ = 0;
  hook_error_ = Status::Ok();
}

void GradientReducer::OnGradient(size_t index, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!hook_error_.ok() || !grad.defined()) return;
  if (ready_[index]) {
    hook_error_ = FailedPrecondition(ParamName(index) +
                                     " received a second gradient before Finish (run one "
                                     "backward per step; gradient accumulation across "
                                     "backward passes is not supported)");
    return;
  }
  if (grad.layout() != torch::kStrided || grad.sizes() != params_[index].sizes()) {
    hook_error_ = InvalidArgument(ParamName(index) + " received a sparse or mis-shaped gradient");
    return;
  }
  {
    torch::NoGradGuard no_grad;
    views_[index].copy_(grad);
  }
  ready_[index] = true;
  if (--missing_[plan_.bucket_of[index]] == 0 && options_.overlap) LaunchReadyBuckets(true);
}

void GradientReducer::LaunchReadyBuckets(bool from_hook) {
  while (next_launch_ < plan_.buckets.size() && missing_[next_launch_] == 0) {
    Launch(next_launch_, from_hook);
    ++next_launch_;
  }
}

void GradientReducer::Launch(size_t bucket, bool from_hook) {
  torch::Tensor& buffer = buffers_[bucket];
  handles_[bucket] =
      comm_->AllReduceSumAsync(buffer.data_ptr<float>(), static_cast<size_t>(buffer.numel()));
  if (from_hook) ++launched_in_backward_;
}

Status GradientReducer::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  Status status = hook_error_;
  size_t unused = 0;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (ready_[i]) continue;
      views_[i].zero_();
      ++unused;
    }
  }
  // Every rank launches every bucket, even after an error here, so that the ranks' collective
  // sequences stay matched.
  for (; next_launch_ < plan_.buckets.size(); ++next_launch_) Launch(next_launch_, false);
  torch::Tensor used;
  std::unique_ptr<CollectiveHandle> used_handle;
  if (options_.find_unused_parameters && !params_.empty()) {
    std::vector<float> flags(ready_.begin(), ready_.end());
    used = torch::tensor(flags, buffers_.front().options());
    used_handle = comm_->AllReduceSumAsync(used.data_ptr<float>(), flags.size());
  }
  for (size_t b = 0; b < handles_.size(); ++b) {
    Status s = handles_[b]->Wait();
    if (status.ok() && !s.ok())
      status = s.WithContext("all-reduce of gradient bucket " + std::to_string(b));
  }
  if (used_handle) {
    Status s = used_handle->Wait();
    if (status.ok() && !s.ok()) status = s.WithContext("all-reduce of used-parameter flags");
  }
  last_step_ = ReducerStepStats{plan_.buckets.size(), launched_in_backward_, unused};
  if (status.ok()) {
    torch::NoGradGuard no_grad;
    const double ranks = comm_->size();
    for (auto& buffer : buffers_) buffer.div_(ranks);
    torch::Tensor used_cpu = used.defined() ? used.cpu() : torch::Tensor();
    for (size_t i = 0; i < params_.size(); ++i) {
      if (used_cpu.defined() && used_cpu[static_cast<int64_t>(i)].item<float>() == 0.0f) continue;
      torch::Tensor& grad = params_[i].mutable_grad();
      if (grad.defined() && grad.layout() == torch::kStrided &&
          grad.sizes() == params_[i].sizes()) {
        grad.copy_(views_[i]);
      } else {
        grad = views_[i].clone();
      }
    }
  }
  ResetStep();
  return status;
}

}  // namespace chromatune::ddp
