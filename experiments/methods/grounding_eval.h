// GroundingEval: the outputs of one grounding evaluation, laid out for a single sum over
// ranks — predictions [N], proposal scores [N, Pmax], CPT colour scores [N, R, C] and the
// correct count. Each rank records its shard of examples and leaves the other rows 0, so the
// sum assembles every row; NaN (a proposal or colour an example does not have) survives it
// because NaN + 0 = NaN. Shared by the dual-encoder and the fusion grounding runners.
// LibTorch-free: callers pass rows of floats.
#pragma once

#include <cstdint>
#include <vector>

#include "common/communicator.h"
#include "common/status.h"

namespace chromatune::methods {

class GroundingEval {
 public:
  // `n_eval` examples of at most `pmax` proposals; colour scores [rmax, cmax] per example
  // (cmax 0: none recorded).
  GroundingEval(int64_t n_eval, int64_t pmax, int64_t rmax, int64_t cmax);

  // Example i predicted proposal `pred` of its `np`, `correct` per datasets::IsCorrectChoice
  // (index equality, or overlap with the ground truth for detector proposals); `logits` holds
  // at least np scores. `view_text` (row-major [vt_rows, vt_cols], may be null) holds its colour
  // scores: cell (r, c) is kept when r < vt_rows, c < vt_cols and r * cmax + c < np (colour c was
  // drawn in rendering r), the others are NaN.
  void Record(int64_t i, int64_t pred, bool correct, const float* logits, int64_t np,
              const float* view_text = nullptr, int64_t vt_rows = 0, int64_t vt_cols = 0);
  Status SumOverRanks(Communicator* comm);
  // Share of the first n examples predicted correctly (after the sum; 0 for n = 0).
  double Accuracy(int64_t n) const;
  // The rows, for the trial's arrays.
  void CopyTo(std::vector<float>* predictions, std::vector<float>* proposal_scores,
              std::vector<float>* color_scores) const;

 private:
  int64_t n_eval_, pmax_, rmax_, cmax_;
  std::vector<float> sums_;  // predictions, proposal scores, colour scores, correct count
};

}  // namespace chromatune::methods
