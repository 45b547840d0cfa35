#include "coordinator/wait_reason.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

PendingDemand Demand(int ranks, int64_t runnable, int64_t backing_off = 0, int64_t next_ms = 0) {
  PendingDemand d;
  d.sweep = "s";
  d.ranks = ranks;
  d.runnable = runnable;
  d.backing_off = backing_off;
  d.next_not_before_ms = next_ms;
  return d;
}

TEST(WaitReasonTest, EachReason) {
  EXPECT_EQ(ExplainWait(Demand(1, 3), {}, 0, 0), "needs 1 rank; no worker group is connected");
  std::vector<GroupCapacity> groups = {{1, 2, 2}, {2, 2, 0}};
  EXPECT_NE(
      ExplainWait(Demand(4, 1), groups, 0, 0).find("needs 4 ranks; the largest worker group has 2"),
      std::string::npos);
  EXPECT_EQ(ExplainWait(Demand(2, 0, 3, 2500), groups, 1000, 0),
            "retry backoff after a failed attempt; next retry in 1.5 s");
  std::vector<GroupCapacity> busy = {{1, 4, 2}};
  EXPECT_EQ(ExplainWait(Demand(4, 1), busy, 0, 0), "needs 4 ranks; the largest free group has 2");
  EXPECT_NE(ExplainWait(Demand(1, 1), groups, 0, 7).find("queued behind 7"), std::string::npos);
  EXPECT_NE(ExplainWait(Demand(1, 1), groups, 0, 0).find("runnable"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::coordinator
