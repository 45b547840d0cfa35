// Scheduler: picks which runnable trials a worker group gets, by a chain of
// SchedulingPolicy (default: priority, then fair share across users and sweeps, then gang
// size), FIFO (trial id) among equals. Stateless: the coordinator passes what is runnable
// (ResultStore::ListRunnable) and what is in use.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "coordinator/scheduling_policy.h"

namespace chromatune::coordinator {

class Scheduler {
 public:
  // The default chain: PriorityPolicy, FairSharePolicy, GangPolicy.
  Scheduler();
  explicit Scheduler(std::vector<std::unique_ptr<SchedulingPolicy>> policies);

  // The first trial in policy order that every policy admits, or nullopt.
  std::optional<RunnableTrial> Pick(const std::vector<RunnableTrial>& candidates,
                                    const SchedulingContext& ctx) const;

  // Up to `max_trials` picks for one group: after each pick its ranks leave the group's
  // free ranks and join the in-use counts, so a group of R ranks is packed with several
  // smaller trials and fair share holds inside one request.
  std::vector<RunnableTrial> PickMany(std::vector<RunnableTrial> candidates, SchedulingContext ctx,
                                      int max_trials) const;

 private:
  std::vector<std::unique_ptr<SchedulingPolicy>> policies_;
};

}  // namespace chromatune::coordinator
