#include "coordinator/gang_policy.h"

namespace chromatune::coordinator {

bool GangPolicy::Admits(const RunnableTrial& trial, const SchedulingContext& ctx) const {
  return trial.ranks >= 1 && trial.ranks <= ctx.free_ranks;
}

int GangPolicy::Compare(const RunnableTrial& a, const RunnableTrial& b,
                        const SchedulingContext&) const {
  return b.ranks - a.ranks;
}

}  // namespace chromatune::coordinator
