#include "coordinator/scheduling_policy.h"

namespace chromatune::coordinator {

bool SchedulingPolicy::Admits(const RunnableTrial&, const SchedulingContext&) const { return true; }

int SchedulingPolicy::Compare(const RunnableTrial&, const RunnableTrial&,
                              const SchedulingContext&) const {
  return 0;
}

}  // namespace chromatune::coordinator
