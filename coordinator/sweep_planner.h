// SweepPlanner: plans and stores submitted sweeps on a thread of its own, a bounded step at a
// time (storage/sweep_draft.h), so that the store's single writer serves workers' leases,
// heartbeats and completions between the steps (DESIGN.md, "Nothing holds the writer long").
//
// Submissions run one after another, in the order submitted. Each is a Submission whose state
// (`planning` with its phase and progress, then `ready`, `failed` or `cancelled`) status and
// the submit client read while it works. A new sweep is invisible until stored whole; one cut
// short by cancellation is deleted, one cut short by the process's end is deleted by the next
// coordinator (DiscardDrafts at startup): all or nothing (docs/decisions.md).
//
// Thread safety: every public method may be called from any thread. Callbacks (`on_stored`,
// Submission::OnFinished) run on the planner thread with no lock of the planner held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "coordinator/roles.h"
#include "experiments/sweep/spec.h"
#include "storage/result_store.h"

namespace chromatune::coordinator {

struct SweepPlannerOptions {
  // Plan items (or rows) per store step. About 12 us each (docs/schema.md): a step holds the
  // writer for ~25 ms, well inside a worker's lease and heartbeat latency budget.
  int64_t rows_per_step = 2000;
  // Pause between steps: the writer's mutex is not fair, so the planner lets waiting requests
  // in before it takes it again.
  std::chrono::milliseconds pause{2};
  // Finished submissions remembered for the clients that poll their outcome.
  size_t remembered = 100;
  // Wall clock in ms since the epoch.
  std::function<int64_t()> now_ms;
};

// A submission in the planner: the state a client and `status` see.
class Submission {
 public:
  enum class State { kPlanning, kReady, kFailed, kCancelled };
  Submission(SweepSpec spec, Identity who, int64_t now_ms);

  const std::string& sweep() const { return spec_.name; }
  const Identity& who() const { return who_; }
  const SweepSpec& spec() const { return spec_; }
  bool finished() const;
  // {"sweep", "user", "state": planning|ready|failed|cancelled, "phase" (planning:
  // queued|expanding|storing|cancelling), "stored", "total" (0 until expanded),
  // "started_ms", "error" (failed), and when ready CreateSweep's counts: "sweep_id",
  // "trials", "created", "reused", "requeued", "unchanged", "dropped", "resumed"}.
  nlohmann::json ToJson() const;
  // The outcome once finished: the ready summary (ToJson) or the error; kUnavailable before.
  Result<nlohmann::json> Outcome() const;
  // Calls `done` once when the submission has finished (at once if it has).
  void OnFinished(std::function<void()> done);
  // Blocks until finished.
  void Wait();

 private:
  friend class SweepPlanner;
  void SetPhase(const char* phase, int64_t stored, int64_t total);
  void Finish(State state, Status error, nlohmann::json summary);

  const SweepSpec spec_;
  const Identity who_;
  const int64_t started_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kPlanning;
  std::string phase_ = "queued";
  int64_t stored_ = 0, total_ = 0;
  Status error_;
  nlohmann::json summary_;
  bool cancel_ = false;
  std::vector<std::function<void()>> on_finished_;
};

class SweepPlanner {
 public:
  // Runs after a sweep was stored whole and made visible, before its submission is ready
  // (the coordinator's bookkeeping: owners, search, waiting long polls).
  using OnStored = std::function<void(const Submission&, const SweepSubmission&)>;

  // `store` must outlive the planner. Starts the planner thread.
  SweepPlanner(ResultStore* store, OnStored on_stored, SweepPlannerOptions options = {});
  // Stops after the current step; unfinished submissions fail (kUnavailable) and a new sweep
  // being stored stays marked planning for the next start to discard.
  ~SweepPlanner();
  SweepPlanner(const SweepPlanner&) = delete;
  SweepPlanner& operator=(const SweepPlanner&) = delete;

  // Deletes the sweeps a stopped coordinator left half-stored (before serving requests).
  // Returns how many.
  Result<int64_t> DiscardDrafts();

  // Queues the submission of `spec` (already validated) by `who`. When a submission of the
  // same sweep is in progress: the same file by the same user joins it (a repeated submit is
  // idempotent); anything else is kFailedPrecondition naming who submitted it.
  Result<std::shared_ptr<Submission>> Submit(SweepSpec spec, const Identity& who);
  // The submission of `sweep` in progress, or the last finished one remembered; null if none.
  std::shared_ptr<Submission> Find(const std::string& sweep);
  // Submissions in progress, oldest first.
  std::vector<std::shared_ptr<Submission>> InProgress();
  // Cancels the submission of `sweep` in progress: no step of it starts after this returns
  // (it waits for the one under way, a step at most). A new sweep's rows are then deleted in
  // the background; a resume keeps the steps it made (the caller cancels the sweep itself).
  // Returns the submission, null if none was in progress.
  std::shared_ptr<Submission> Cancel(const std::string& sweep);

 private:
  void Run();
  void Plan(const std::shared_ptr<Submission>& sub);
  // Deletes a new sweep's draft a step at a time. Ok once gone.
  Status Discard(int64_t sweep_id);
  void Remember(const std::shared_ptr<Submission>& sub);
  bool Stopping();

  ResultStore* store_;
  OnStored on_stored_;
  SweepPlannerOptions options_;
  std::mutex mu_;
  // Held while a store step runs and while Cancel marks a submission: never taken under mu_.
  std::mutex step_mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::deque<std::shared_ptr<Submission>> queue_;
  std::shared_ptr<Submission> current_;
  std::map<std::string, std::shared_ptr<Submission>> finished_;  // by sweep name
  std::deque<std::string> finished_order_;
  std::thread thread_;
};

}  // namespace chromatune::coordinator
