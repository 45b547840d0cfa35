// GangPolicy: a trial that needs r ranks goes only to a group with at least r free ranks,
// all of them at once (never a partial gang). A group of R ranks may thus hold several
// smaller trials together, each on its own sub-communicator.
#pragma once

#include "coordinator/scheduling_policy.h"

namespace chromatune::coordinator {

class GangPolicy final : public SchedulingPolicy {
 public:
  const char* name() const override { return "gang"; }
  bool Admits(const RunnableTrial& trial, const SchedulingContext& ctx) const override;
  // Among trials that fit and that earlier policies rank equal, bigger gangs first: small
  // trials fill what is left, so a 4-rank trial is not starved by a stream of 1-rank
  // trials on a 4-rank group.
  int Compare(const RunnableTrial& a, const RunnableTrial& b,
              const SchedulingContext& ctx) const override;
};

}  // namespace chromatune::coordinator
