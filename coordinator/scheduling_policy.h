// SchedulingPolicy: one rule of the scheduler, behind one interface (Ray core style). The
// Scheduler (coordinator/scheduler.h) asks every policy whether a runnable trial may go to
// the requesting worker group (Admits) and orders the admitted ones lexicographically by
// the policies' comparisons, in the order the policies were given, then by trial id (FIFO).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "storage/result_store.h"

namespace chromatune::coordinator {

// What the scheduler knows when a worker group asks for work.
struct SchedulingContext {
  // Ranks of the requesting group not held by its leased or running trials.
  int free_ranks = 0;
  // Ranks in use (leased or running trials, all groups) per sweep id and per user.
  std::map<int64_t, int> ranks_in_use_by_sweep;
  std::map<std::string, int> ranks_in_use_by_user;
};

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;
  // Short name for logs and docs ("gang", "priority", "fair-share").
  virtual const char* name() const = 0;
  // Whether `trial` may be leased to the requesting group at all. Default: yes.
  virtual bool Admits(const RunnableTrial& trial, const SchedulingContext& ctx) const;
  // Negative when `a` should go before `b`, positive when after, 0 when this policy does
  // not care. Default: 0.
  virtual int Compare(const RunnableTrial& a, const RunnableTrial& b,
                      const SchedulingContext& ctx) const;
};

}  // namespace chromatune::coordinator
