// Why pending trials wait (ray#18332: "stuck PENDING with no explanation"). `status`
// shows one reason per (sweep, ranks) group of waiting trials and per listed trial.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/result_store.h"

namespace chromatune::coordinator {

// A connected worker group as the scheduler sees it.
struct GroupCapacity {
  int64_t id = 0;
  int ranks = 0;
  int free_ranks = 0;
};

// A sentence such as "needs 4 ranks; the largest free group has 2". Reasons, first match:
// no worker group connected; no group is big enough at all; retry backoff (all of the
// demand's trials back off); no group has enough free ranks now; otherwise queued behind
// `ahead` runnable trials that go first (priority / fair share) or waiting for a group to
// ask for work.
std::string ExplainWait(const PendingDemand& demand, const std::vector<GroupCapacity>& groups,
                        int64_t now_ms, int64_t ahead);

}  // namespace chromatune::coordinator
