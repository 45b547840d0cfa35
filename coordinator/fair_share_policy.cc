#include "coordinator/fair_share_policy.h"

namespace chromatune::coordinator {
namespace {

template <typename K>
int InUse(const std::map<K, int>& m, const K& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

int FairSharePolicy::Compare(const RunnableTrial& a, const RunnableTrial& b,
                             const SchedulingContext& ctx) const {
  if (a.user != b.user) {
    int d = InUse(ctx.ranks_in_use_by_user, a.user) - InUse(ctx.ranks_in_use_by_user, b.user);
    if (d != 0) return d;
  }
  if (a.sweep_id != b.sweep_id) {
    return InUse(ctx.ranks_in_use_by_sweep, a.sweep_id) -
           InUse(ctx.ranks_in_use_by_sweep, b.sweep_id);
  }
  return 0;
}

}  // namespace chromatune::coordinator
