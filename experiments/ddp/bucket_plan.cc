#include "experiments/ddp/bucket_plan.h"

namespace chromatune::ddp {

BucketPlan PlanBuckets(const std::vector<int64_t>& numels, size_t bucket_bytes) {
  BucketPlan plan;
  plan.bucket_of.resize(numels.size());
  plan.slot_of.resize(numels.size());
  Bucket current;
  size_t current_bytes = 0;
  auto close = [&] {
    if (current.params.empty()) return;
    plan.buckets.push_back(std::move(current));
    current = Bucket();
    current_bytes = 0;
  };
  for (size_t i = numels.size(); i-- > 0;) {
    plan.bucket_of[i] = plan.buckets.size();
    plan.slot_of[i] = current.params.size();
    current.params.push_back(i);
    current.offsets.push_back(current.numel);
    current.numel += numels[i];
    current_bytes += static_cast<size_t>(numels[i]) * sizeof(float);
    if (current_bytes >= bucket_bytes) close();
  }
  close();
  return plan;
}

}  // namespace chromatune::ddp
