#include "worker/round.h"

#include <gtest/gtest.h>

namespace chromatune::worker {
namespace {

TEST(RoundTest, AssignsContiguousRankBlocks) {
  std::vector<RoundTrial> trials(3);
  trials[0].ranks = 2;
  trials[1].ranks = 1;
  trials[2].ranks = 1;
  ASSERT_TRUE(AssignRanks(&trials, 4).ok());
  EXPECT_EQ(trials[0].first_rank, 0);
  EXPECT_EQ(trials[1].first_rank, 2);
  EXPECT_EQ(trials[2].first_rank, 3);
  Round round{false, trials};
  EXPECT_EQ(SlotOf(round, 1), 0);
  EXPECT_EQ(SlotOf(round, 3), 2);
  EXPECT_EQ(SlotOf(round, 4), -1);
  trials[2].ranks = 2;
  EXPECT_FALSE(AssignRanks(&trials, 4).ok());
}

TEST(RoundTest, MessagesRoundTrip) {
  Round round;
  round.trials.push_back(RoundTrial{7, 2, 0, 1, {{"method", "noop"}}, "L7.2.00ff"});
  auto back = DecodeRound(EncodeRound(round));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->stop);
  ASSERT_EQ(back->trials.size(), 1u);
  EXPECT_EQ(back->trials[0].trial_id, 7);
  EXPECT_EQ(back->trials[0].attempt, 2);
  EXPECT_EQ(back->trials[0].lease_id, "L7.2.00ff");  // every rank's crash note names it
  EXPECT_EQ(back->trials[0].item["method"], "noop");
  EXPECT_TRUE(DecodeRound(EncodeRound(Round{true, {}}))->stop);
  EXPECT_FALSE(DecodeRound("{").ok());

  TrialOutcomeMessage m;
  m.error = "boom";
  m.final = true;
  auto o = DecodeOutcome(EncodeOutcome(m));
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->ok);
  EXPECT_EQ(o->error, "boom");
  EXPECT_TRUE(o->final);
  EXPECT_FALSE(DecodeOutcome("[]").ok());
}

}  // namespace
}  // namespace chromatune::worker
