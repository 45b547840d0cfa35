// SweepDraft: a sweep being stored in bounded steps (ResultStore::BeginSweep, StepSweep).
//
// Storing a big sweep in one transaction holds the store's single writer for seconds (100,000
// trials take 1.2-1.35 s), and every lease, heartbeat and completion waits behind it. A
// draft does the same work a step at a time, each step its own short transaction:
//   1. (a resume) read the sweep's existing trials, a range of rows per step;
//   2. store the plan items, `max_rows` per step (new, reused, re-queued or kept);
//   3. (a resume) cancel unfinished trials the plan no longer has;
//   4. finish: update the sweep's settings, write the audit record and the event, and make
//      the sweep visible.
// A new sweep's row is marked `planning` (schema 8) until step 4: no reader lists it and no
// trial of it is leased, and if the process dies before step 4 the next coordinator deletes
// it (ResultStore::DiscardSweepDraft): all or nothing. A resume's rows are visible as they
// land (each step leaves a consistent sweep); a resume cut short is completed by submitting
// the sweep again (docs/decisions.md, "Sweeps stored in steps").
//
// Thread safety: a draft belongs to one thread at a time; the store serialises its steps
// with every other call.
#pragma once

#include <cstdint>
#include <memory>

#include "storage/sweep_submission.h"

namespace chromatune {

class SweepDraft {
 public:
  struct State;  // defined by the store (storage/result_store_drafts.cc)
  explicit SweepDraft(std::unique_ptr<State> state);
  ~SweepDraft();
  SweepDraft(const SweepDraft&) = delete;
  SweepDraft& operator=(const SweepDraft&) = delete;

  int64_t sweep_id() const;
  // A sweep of that name existed (a resume): its rows are visible while the draft works.
  bool resumed() const;
  // Plan items stored so far, of total().
  int64_t stored() const;
  int64_t total() const;
  // StepSweep returned true: the sweep is stored and visible.
  bool finished() const;
  // What the steps did so far (complete once finished()).
  const SweepSubmission& submission() const;

  State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

}  // namespace chromatune
