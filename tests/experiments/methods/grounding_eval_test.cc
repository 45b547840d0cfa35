#include "experiments/methods/grounding_eval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/communicator.h"

namespace chromatune::methods {
namespace {

// The layout the grounding arrays promise (docs/hdf5-layout.md): NaN where an example has no
// such proposal, or where a colour was not drawn in a rendering.
TEST(GroundingEvalTest, RowsHoldScoresAndNaNWhereNothingWasDrawn) {
  GroundingEval out(/*n_eval=*/2, /*pmax=*/3, /*rmax=*/2, /*cmax=*/2);
  const float logits0[] = {0.1f, 0.9f, 0.3f};
  const float colours0[] = {1, 2, 3, 4};  // [2 renderings, 2 colours], 3 proposals drawn
  out.Record(0, /*pred=*/1, /*correct=*/true, logits0, 3, colours0, 2, 2);
  const float logits1[] = {0.7f, 0.2f};
  out.Record(1, /*pred=*/0, /*correct=*/false, logits1, 2);  // no colour scores
  LocalCommunicator single;
  ASSERT_TRUE(out.SumOverRanks(&single).ok());
  EXPECT_DOUBLE_EQ(out.Accuracy(2), 0.5);
  EXPECT_DOUBLE_EQ(out.Accuracy(1), 1.0);
  EXPECT_DOUBLE_EQ(out.Accuracy(0), 0.0);
  std::vector<float> pred, scores, colours;
  out.CopyTo(&pred, &scores, &colours);
  EXPECT_EQ(pred, (std::vector<float>{1, 0}));
  ASSERT_EQ(scores.size(), 6u);
  EXPECT_FLOAT_EQ(scores[1], 0.9f);
  EXPECT_FLOAT_EQ(scores[3], 0.7f);
  EXPECT_TRUE(std::isnan(scores[5]));  // example 1 has 2 proposals
  ASSERT_EQ(colours.size(), 8u);
  EXPECT_EQ(colours[0], 1);
  EXPECT_EQ(colours[2], 3);             // rendering 1, colour 0: proposal 2
  EXPECT_TRUE(std::isnan(colours[3]));  // rendering 1, colour 1 would be proposal 3 of 3
  for (int k = 4; k < 8; ++k) EXPECT_TRUE(std::isnan(colours[k])) << k;
}

}  // namespace
}  // namespace chromatune::methods
