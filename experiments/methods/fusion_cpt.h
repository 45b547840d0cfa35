// CPT with a fusion model (builtin:tiny-fusion), CPT's own formulation: the renderings of
// CptViews (colour c over proposal r*C + c in rendering r, ceil(P/C) renderings) are read
// together with "{query} is in [MASK] color."; the model fills [MASK], and proposal p scores
// log P([MASK] = word of its colour | rendering of p) (log-softmax over the vocabulary).
// Few-shot prompt tuning (epochs > 0): the template's words become learned context
// (PromptLearner::FromTemplate with a [MASK] segment), trained with cross-entropy over the
// proposals' scores; the model stays frozen.
//
// Result as RunDualGrounding with cpt_scores: "cpt_color_scores" [N, R, C] holds the
// log-probability of colour c's word in rendering r; choices are scored by
// datasets::IsCorrectChoice, and a task with named splits (refexp) reports
// accuracy/<split> and eval_size/<split> for each further split.
#pragma once

#include "datasets/task_data.h"
#include "experiments/methods/method_params.h"
#include "experiments/models/backbone.h"
#include "experiments/runner.h"
#include "experiments/trial_result.h"

namespace chromatune::methods {

Result<TrialResult> RunFusionCpt(const datasets::GroundingTask& task,
                                 std::shared_ptr<models::FusionModel> model,
                                 const CptParams& params, uint64_t train_seed, TrialContext& ctx);

}  // namespace chromatune::methods
