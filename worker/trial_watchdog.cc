#include "worker/trial_watchdog.h"

#include <algorithm>

namespace chromatune::worker {

TrialWatchdog::TrialWatchdog(std::chrono::milliseconds timeout, HungFn on_hung)
    : timeout_(timeout),
      on_hung_(std::move(on_hung)),
      last_step_(std::chrono::steady_clock::now()) {
  if (timeout_.count() > 0) thread_ = std::thread([this] { Watch(); });
}

TrialWatchdog::~TrialWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TrialWatchdog::Step() {
  std::lock_guard<std::mutex> lock(mu_);
  last_step_ = std::chrono::steady_clock::now();
}

bool TrialWatchdog::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

void TrialWatchdog::Watch() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const auto deadline = last_step_ + timeout_;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      fired_ = true;
      const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_step_);
      lock.unlock();
      on_hung_(idle);
      return;
    }
    // Re-check at the deadline (a step meanwhile moves it), or when stopped.
    cv_.wait_until(lock, deadline, [this] { return stop_; });
  }
}

}  // namespace chromatune::worker
