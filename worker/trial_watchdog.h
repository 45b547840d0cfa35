// TrialWatchdog: notices a trial that stopped making steps. The trial's root rank (where its
// progress reports arrive) calls Step() on each; a background thread calls `on_hung` once
// when no step came for `timeout` (the sweep's `timeout:`, docs/sweeps.md). A hung trial
// cannot be unwound (its thread may sit in a collective or a library call), so the worker's
// handler (hung_trial.h) reports it and ends the process; tests pass a handler that returns.
//
// Thread safety: Step() may be called from any thread; the handler runs on the watchdog's
// own thread, at most once. The destructor stops the thread (it waits for a running handler).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace chromatune::worker {

class TrialWatchdog {
 public:
  // `idle`: how long the trial had gone without a step when the handler was called.
  using HungFn = std::function<void(std::chrono::milliseconds idle)>;

  // Starts watching now (the trial's start counts as its first step). A timeout <= 0
  // watches nothing (no thread).
  TrialWatchdog(std::chrono::milliseconds timeout, HungFn on_hung);
  ~TrialWatchdog();
  TrialWatchdog(const TrialWatchdog&) = delete;
  TrialWatchdog& operator=(const TrialWatchdog&) = delete;

  void Step();
  // Whether the handler was called.
  bool fired() const;

 private:
  void Watch();

  const std::chrono::milliseconds timeout_;
  HungFn on_hung_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point last_step_;
  bool stop_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace chromatune::worker
