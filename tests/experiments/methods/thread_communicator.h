// A Communicator for N ranks running as threads of one test process (the c10d test style):
// collectives meet at a generation-counted barrier; sums add the ranks' buffers in rank
// order, so every rank gets bitwise the same result. Test-only.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "common/communicator.h"

namespace chromatune::methods {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), slots_(size) {}
  int size() const { return size_; }

  // Every rank passes its buffer; the callback runs once on the last arriver with all
  // buffers, then everyone continues.
  template <typename Fn>
  void Meet(int rank, void* data, Fn&& combine) {
    std::unique_lock<std::mutex> lock(mu_);
    slots_[rank] = data;
    const int64_t gen = generation_;
    if (++arrived_ == size_) {
      combine(slots_);
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != gen; });
    }
  }

 private:
  int size_;
  std::vector<void*> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  int64_t generation_ = 0;
};

class ThreadCommunicator final : public Communicator {
 public:
  ThreadCommunicator(ThreadGroup* group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_->size(); }
  std::string backend() const override { return "threads"; }
  Status AllReduceSum(float* data, size_t count) override {
    std::vector<float> local(data, data + count);
    group_->Meet(rank_, local.data(), [count](std::vector<void*>& slots) {
      std::vector<float> sum(count, 0.0f);
      for (void* s : slots) {
        const float* f = static_cast<const float*>(s);
        for (size_t i = 0; i < count; ++i) sum[i] += f[i];
      }
      for (void* s : slots) std::copy(sum.begin(), sum.end(), static_cast<float*>(s));
    });
    std::copy(local.begin(), local.end(), data);
    return Status::Ok();
  }
  std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float* data, size_t count) override {
    (void)AllReduceSum(data, count);
    return LocalCommunicator().AllReduceSumAsync(data, count);
  }
  Status Broadcast(void* data, size_t count, int root) override {
    group_->Meet(rank_, data, [count, root](std::vector<void*>& slots) {
      for (size_t r = 0; r < slots.size(); ++r) {
        if (static_cast<int>(r) != root) std::memcpy(slots[r], slots[root], count);
      }
    });
    return Status::Ok();
  }
  Status Barrier() override {
    group_->Meet(rank_, nullptr, [](std::vector<void*>&) {});
    return Status::Ok();
  }

 private:
  ThreadGroup* group_;
  int rank_;
};

}  // namespace chromatune::methods
