// FairSharePolicy: among trials the earlier policies rank equal, the user holding fewer
// ranks goes first, then the sweep holding fewer ranks. Two users with one sweep each get
// half the workers each, whatever the sizes of their sweeps; one user's two sweeps share
// that user's half.
#pragma once

#include "coordinator/scheduling_policy.h"

namespace chromatune::coordinator {

class FairSharePolicy final : public SchedulingPolicy {
 public:
  const char* name() const override { return "fair-share"; }
  int Compare(const RunnableTrial& a, const RunnableTrial& b,
              const SchedulingContext& ctx) const override;
};

}  // namespace chromatune::coordinator
