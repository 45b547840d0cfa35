// BucketPlan: how data-parallel training groups parameters into gradient buckets.
//
// As in PyTorch DDP, parameters are taken in reverse registration order (backward produces
// the gradients of the last layers first) and packed into buckets of about `bucket_bytes`;
// a bucket is closed once it holds at least that many bytes, so one larger parameter gets a
// bucket of its own. Each bucket is one flat float buffer and one all-reduce. Small buckets
// start communicating early in backward; large ones pay the per-call latency fewer times
// (MPI here: about 1 MiB balances the two, bench/allreduce/RESULTS.md).
//
// Free of LibTorch: sizes in, plan out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chromatune::ddp {

// The default bucket size: PyTorch DDP's first-bucket size, and large enough that the models
// trained here (0.1 to a few M parameters) need only a handful of all-reduces per step.
inline constexpr size_t kDefaultBucketBytes = size_t{1} << 20;

struct Bucket {
  std::vector<size_t> params;    // parameter indices, in the order they sit in the buffer
  std::vector<int64_t> offsets;  // element offset of each parameter in the buffer
  int64_t numel = 0;             // total elements (floats) in the buffer
};

struct BucketPlan {
  std::vector<Bucket> buckets;  // in launch order
  // For each parameter: its bucket and its position within that bucket.
  std::vector<size_t> bucket_of;
  std::vector<size_t> slot_of;
};

// Plans buckets for parameters of `numels` elements each (float32). bucket_bytes == 0 puts
// every parameter in its own bucket. Parameters of zero elements still get a slot.
BucketPlan PlanBuckets(const std::vector<int64_t>& numels, size_t bucket_bytes);

}  // namespace chromatune::ddp
