// The few-shot trial of a dual-encoder method: optional training on the support set, then
// evaluation, for classification and grounding. A method is the combination of an
// ImageSide, a TextSide and a Head (method_factory.h builds them from the plan item).
//
// Classification: logits over the C classes of every image; loss cross-entropy on the
// support labels; metric top-1 accuracy on the evaluation set.
// Grounding: per example, the scores of its proposals through its ProposalViews; loss
// cross-entropy over the proposals with the target; metric accuracy of the chosen proposal.
//
// Data parallel: training through TrainLoop (trainer.h); evaluation sharded over ranks
// (contiguous slices) and summed, so every rank ends with the same result.
//
// Result: metrics "accuracy", "eval_size", "support_size", "train_steps", "train_loss" (last
// epoch); info "support_ids" (source ids of the support set, for pairing checks); curves
// "train_loss" and "accuracy" per epoch (trained methods); arrays "predictions" [N] (class
// or proposal index), for grounding "proposal_scores" [N, Pmax] (NaN past an example's
// proposals) and, for CPT views, "cpt_color_scores" [N, R, C] (score of colour c's prompt
// on rendering r; NaN where a rendering has fewer colours).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "datasets/task_data.h"
#include "experiments/methods/head.h"
#include "experiments/methods/image_side.h"
#include "experiments/methods/method_params.h"
#include "experiments/methods/proposal_views.h"
#include "experiments/methods/text_side.h"
#include "experiments/runner.h"
#include "experiments/trial_result.h"

namespace chromatune::methods {

struct DualMethod {
  ImageSide* image = nullptr;
  TextSide* text = nullptr;
  Head* head = nullptr;
  // Training settings; nullptr (or epochs 0) = evaluate only.
  const TrainParams* train = nullptr;
  uint64_t train_seed = 0;
};

// `key_prefix` names the dataset in feature-cache keys (e.g. "fashion-mnist").
Result<TrialResult> RunDualClassification(const datasets::ClassificationTask& task,
                                          const std::string& key_prefix, const DualMethod& method,
                                          TrialContext& ctx);

using ViewFn = std::function<ProposalViews(const datasets::GroundingExample& example,
                                           const std::string& key_prefix)>;

// `cpt_scores` adds the "cpt_color_scores" array (views are CptViews).
Result<TrialResult> RunDualGrounding(const datasets::GroundingTask& task,
                                     const std::string& key_prefix, const ViewFn& views,
                                     const DualMethod& method, bool cpt_scores, TrialContext& ctx);

// The ids of the support examples (reported as info "support_ids": trials with the same
// data_seed list the same ids, whatever the method).
std::vector<int64_t> SupportIds(const datasets::GroundingTask& task);

// The ending every grounding runner shares: the accuracy of the final evaluation
// (`final_accuracy` when training's last epoch ran it and so already filled `predictions`
// and `proposal_scores`, otherwise one call of `evaluate(0)`, all items), the size metrics,
// the support ids and the "predictions" [n_eval] and "proposal_scores" [n_eval, pmax] arrays.
// `predictions` and `proposal_scores` are read after `evaluate` has run.
Status FinishGroundingResult(const datasets::GroundingTask& task,
                             std::optional<double> final_accuracy,
                             const std::function<Result<double>(int64_t)>& evaluate, int64_t n_eval,
                             int64_t pmax, const std::vector<float>& predictions,
                             const std::vector<float>& proposal_scores, TrialResult* r);

// How many evaluation items an evaluate hook called with `limit` scores (TrainHooks::evaluate:
// limit <= 0 means all n_eval).
int64_t EvalCount(int64_t limit, int64_t n_eval);

// Shared by every task runner: sums `correct` and the rank's predictions (zero outside
// [begin, end)) over ranks.
Status SumOverRanks(std::vector<float>* values, Communicator* comm);

}  // namespace chromatune::methods
