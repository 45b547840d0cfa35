#include "coordinator/priority_policy.h"

namespace chromatune::coordinator {

int PriorityPolicy::Compare(const RunnableTrial& a, const RunnableTrial& b,
                            const SchedulingContext&) const {
  return b.priority - a.priority;
}

}  // namespace chromatune::coordinator
