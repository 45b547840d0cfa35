#include "experiments/methods/grounding_eval.h"

#include <limits>

namespace chromatune::methods {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

GroundingEval::GroundingEval(int64_t n_eval, int64_t pmax, int64_t rmax, int64_t cmax)
    : n_eval_(n_eval),
      pmax_(pmax),
      rmax_(rmax),
      cmax_(cmax),
      sums_(n_eval + n_eval * pmax + n_eval * rmax * cmax + 1, 0.0f) {}

void GroundingEval::Record(int64_t i, int64_t pred, bool correct, const float* logits, int64_t np,
                           const float* view_text, int64_t vt_rows, int64_t vt_cols) {
  float* pred_out = sums_.data();
  float* score_out = pred_out + n_eval_;
  float* color_out = score_out + n_eval_ * pmax_;
  pred_out[i] = static_cast<float>(pred);
  if (correct) sums_.back() += 1.0f;
  for (int64_t q = 0; q < pmax_; ++q) score_out[i * pmax_ + q] = q < np ? logits[q] : kNaN;
  if (cmax_ == 0) return;
  for (int64_t r = 0; r < rmax_; ++r) {
    for (int64_t c = 0; c < cmax_; ++c) {
      const bool drawn = view_text != nullptr && r < vt_rows && c < vt_cols && r * cmax_ + c < np;
      color_out[(i * rmax_ + r) * cmax_ + c] = drawn ? view_text[r * vt_cols + c] : kNaN;
    }
  }
}

Status GroundingEval::SumOverRanks(Communicator* comm) {
  if (comm->size() == 1) return Status::Ok();
  return comm->AllReduceSum(sums_.data(), sums_.size());
}

double GroundingEval::Accuracy(int64_t n) const {
  return n == 0 ? 0.0 : sums_.back() / static_cast<double>(n);
}

void GroundingEval::CopyTo(std::vector<float>* predictions, std::vector<float>* proposal_scores,
                           std::vector<float>* color_scores) const {
  const float* pred = sums_.data();
  const float* score = pred + n_eval_;
  const float* color = score + n_eval_ * pmax_;
  predictions->assign(pred, pred + n_eval_);
  proposal_scores->assign(score, score + n_eval_ * pmax_);
  color_scores->assign(color, color + n_eval_ * rmax_ * cmax_);
}

}  // namespace chromatune::methods
