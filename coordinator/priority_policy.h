// PriorityPolicy: trials of sweeps with a higher `priority` go first.
#pragma once

#include "coordinator/scheduling_policy.h"

namespace chromatune::coordinator {

class PriorityPolicy final : public SchedulingPolicy {
 public:
  const char* name() const override { return "priority"; }
  int Compare(const RunnableTrial& a, const RunnableTrial& b,
              const SchedulingContext& ctx) const override;
};

}  // namespace chromatune::coordinator
