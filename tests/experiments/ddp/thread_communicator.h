// ThreadGroup: N ranks as threads of one process, meeting in shared memory: the shape of
// PyTorch c10d's multi-threaded tests, so that data-parallel logic is tested with several
// ranks without mpirun. Sums are taken in rank order on every rank, so all ranks get
// bitwise-identical results (as MPI gives for 2 ranks). Test helper only.
#pragma once

#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/communicator.h"

namespace chromatune::ddp::testing {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), posted_(size), counts_(size) {}

  // Runs body(comm) on `size` threads, one communicator each, and joins them.
  static void Run(int size, const std::function<void(Communicator& comm)>& body) {
    ThreadGroup group(size);
    std::vector<std::thread> threads;
    for (int r = 0; r < size; ++r) {
      threads.emplace_back([&group, &body, r] {
        Member comm(&group, r);
        body(comm);
      });
    }
    for (auto& t : threads) t.join();
  }

 private:
  class Member final : public Communicator {
   public:
    Member(ThreadGroup* group, int rank) : group_(group), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return group_->size_; }
    std::string backend() const override { return "local"; }
    Status AllReduceSum(float* data, size_t count) override {
      return group_->AllReduce(rank_, data, count);
    }
    // Runs the collective at once; the threads of the other ranks keep it from deadlocking.
    std::unique_ptr<CollectiveHandle> AllReduceSumAsync(float* data, size_t count) override {
      return std::make_unique<Done>(AllReduceSum(data, count));
    }
    Status Broadcast(void* data, size_t count, int root) override {
      return group_->Broadcast(rank_, data, count, root);
    }
    Status Barrier() override {
      group_->Arrive();
      return Status::Ok();
    }

   private:
    struct Done final : CollectiveHandle {
      explicit Done(Status s) : status(std::move(s)) {}
      Status Wait() override { return status; }
      Status status;
    };
    ThreadGroup* group_;
    int rank_;
  };

  // A reusable barrier (generation counter).
  void Arrive() {
    std::unique_lock<std::mutex> lock(mu_);
    const long gen = generation_;
    if (++arrived_ == size_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != gen; });
    }
  }

  Status AllReduce(int rank, float* data, size_t count) {
    posted_[rank] = data;
    counts_[rank] = count;
    Arrive();
    for (size_t c : counts_) {
      if (c != count) {
        Arrive();
        return InvalidArgument("ThreadGroup: ranks all-reduce different counts");
      }
    }
    std::vector<float> sum(count, 0.0f);
    for (int r = 0; r < size_; ++r) {
      const float* src = static_cast<const float*>(posted_[r]);
      for (size_t i = 0; i < count; ++i) sum[i] += src[i];
    }
    Arrive();  // everyone has read every buffer
    if (count > 0) std::memcpy(data, sum.data(), count * sizeof(float));
    Arrive();  // nobody posts the next collective before all writes are done
    return Status::Ok();
  }

  Status Broadcast(int rank, void* data, size_t count, int root) {
    posted_[rank] = data;
    Arrive();
    if (rank != root && count > 0) std::memcpy(data, posted_[root], count);
    Arrive();
    return Status::Ok();
  }

  int size_;
  std::vector<void*> posted_;
  std::vector<size_t> counts_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  long generation_ = 0;
};

}  // namespace chromatune::ddp::testing
