#include "coordinator/wait_reason.h"

#include <algorithm>

namespace chromatune::coordinator {
namespace {

std::string Ranks(int n) { return std::to_string(n) + (n == 1 ? " rank" : " ranks"); }

}  // namespace

std::string ExplainWait(const PendingDemand& demand, const std::vector<GroupCapacity>& groups,
                        int64_t now_ms, int64_t ahead) {
  const std::string needs = "needs " + Ranks(demand.ranks);
  if (groups.empty()) return needs + "; no worker group is connected";
  int largest = 0;
  int largest_free = 0;
  for (const auto& g : groups) {
    largest = std::max(largest, g.ranks);
    largest_free = std::max(largest_free, g.free_ranks);
  }
  if (demand.ranks > largest) {
    return needs + "; the largest worker group has " + std::to_string(largest) +
           " (start a worker group with mpirun -np " + std::to_string(demand.ranks) + ")";
  }
  if (demand.runnable == 0 && demand.backing_off > 0) {
    const double wait_s = std::max<int64_t>(0, demand.next_not_before_ms - now_ms) / 1000.0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", wait_s);
    return "retry backoff after a failed attempt; next retry in " + std::string(buf) + " s";
  }
  if (demand.ranks > largest_free) {
    return needs + "; the largest free group has " + std::to_string(largest_free);
  }
  if (ahead > 0) {
    return "queued behind " + std::to_string(ahead) +
           " runnable trials that go first (priority, fair share)";
  }
  return "runnable; waiting for a worker group with " + Ranks(demand.ranks) +
         " free to ask for work";
}

}  // namespace chromatune::coordinator
