#include "coordinator/scheduler.h"

#include "coordinator/fair_share_policy.h"
#include "coordinator/gang_policy.h"
#include "coordinator/priority_policy.h"

namespace chromatune::coordinator {

Scheduler::Scheduler() {
  policies_.push_back(std::make_unique<PriorityPolicy>());
  policies_.push_back(std::make_unique<FairSharePolicy>());
  policies_.push_back(std::make_unique<GangPolicy>());
}

Scheduler::Scheduler(std::vector<std::unique_ptr<SchedulingPolicy>> policies)
    : policies_(std::move(policies)) {}

std::optional<RunnableTrial> Scheduler::Pick(const std::vector<RunnableTrial>& candidates,
                                             const SchedulingContext& ctx) const {
  const RunnableTrial* best = nullptr;
  for (const auto& c : candidates) {
    bool admitted = true;
    for (const auto& p : policies_) admitted = admitted && p->Admits(c, ctx);
    if (!admitted) continue;
    if (best == nullptr) {
      best = &c;
      continue;
    }
    int order = 0;
    for (const auto& p : policies_) {
      order = p->Compare(c, *best, ctx);
      if (order != 0) break;
    }
    if (order < 0 || (order == 0 && c.trial_id < best->trial_id)) best = &c;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::vector<RunnableTrial> Scheduler::PickMany(std::vector<RunnableTrial> candidates,
                                               SchedulingContext ctx, int max_trials) const {
  std::vector<RunnableTrial> picked;
  while (static_cast<int>(picked.size()) < max_trials && ctx.free_ranks > 0) {
    auto next = Pick(candidates, ctx);
    if (!next) break;
    ctx.free_ranks -= next->ranks;
    ctx.ranks_in_use_by_sweep[next->sweep_id] += next->ranks;
    ctx.ranks_in_use_by_user[next->user] += next->ranks;
    for (auto it = candidates.begin(); it != candidates.end(); ++it) {
      if (it->trial_id == next->trial_id) {
        candidates.erase(it);
        break;
      }
    }
    picked.push_back(*next);
  }
  return picked;
}

}  // namespace chromatune::coordinator
