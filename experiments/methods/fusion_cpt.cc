#include "experiments/methods/fusion_cpt.h"

#include <chrono>
#include <limits>

#include "experiments/methods/dual_trial.h"
#include "experiments/methods/grounding_eval.h"
#include "experiments/methods/prompt_learner.h"
#include "experiments/methods/proposal_views.h"
#include "experiments/methods/trainer.h"
#include "experiments/models/image_tensor.h"

namespace chromatune::methods {
namespace {

constexpr int64_t kEvalExampleChunk = 32;

struct FusionScores {
  torch::Tensor logits;                  // [B, Pmax], -inf padding
  std::vector<torch::Tensor> view_text;  // per example [R, C] log-probabilities
};

FusionScores Score(const std::vector<const datasets::GroundingExample*>& examples,
                   const CptMarker& marker, const PromptLearner& learner,
                   models::FusionModel& model, const std::vector<int64_t>& color_ids,
                   int64_t pmax) {
  std::vector<ProposalViews> views;
  std::vector<const datasets::Image*> images;
  std::vector<TextRequest> texts;
  const int side = static_cast<int>(model.image_size());
  for (const auto* ex : examples) views.push_back(CptViews(*ex, marker, side, ""));
  for (const auto& v : views) {
    for (const auto& img : v.views) {
      images.push_back(&img);
      texts.push_back({v.texts[0].name, "", -1});
    }
  }
  PromptBatch b = learner.Build(texts);
  const torch::Tensor x = models::ImagesToTensor(images);
  const torch::Tensor logp = torch::log_softmax(
      model.MaskLogitsFromEmbeddings(x, b.embeds, b.ids, b.mask_index), -1);  // [sumR, V]
  const torch::Tensor colors =
      logp.index_select(1, torch::tensor(color_ids).to(logp.device()));  // [sumR, C]
  FusionScores out;
  std::vector<torch::Tensor> rows;
  int64_t at = 0;
  const int64_t num_c = static_cast<int64_t>(color_ids.size());
  for (const auto& v : views) {
    const int64_t r = static_cast<int64_t>(v.views.size());
    const int64_t p = static_cast<int64_t>(v.view_of.size());
    const torch::Tensor vt = colors.slice(0, at, at + r);
    at += r;
    torch::Tensor row = vt.reshape({-1}).slice(0, 0, p);  // proposal p = (p / C, p % C)
    if (p < pmax) {
      row = torch::cat(
          {row, torch::full({pmax - p}, -std::numeric_limits<float>::infinity(), row.options())});
    }
    rows.push_back(row);
    out.view_text.push_back(vt.detach().to(torch::kCPU).reshape({r, num_c}));
  }
  out.logits = torch::stack(rows);
  return out;
}

}  // namespace

Result<TrialResult> RunFusionCpt(const datasets::GroundingTask& task,
                                 std::shared_ptr<models::FusionModel> model,
                                 const CptParams& params, uint64_t train_seed, TrialContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  const models::Tokenizer& tok = model->tokenizer();
  CptMarker marker{params.colors, static_cast<float>(params.alpha), params.marker == "mask"};
  std::vector<int64_t> color_ids;
  for (const auto& c : params.colors) {
    const std::vector<int64_t> ids = tok.EncodeWords(c.name);
    if (ids.size() != 1 || ids[0] == models::Tokenizer::kUnk) {
      return InvalidArgument("params.color: \"" + c.name +
                             "\" is not one word of the fusion model's vocabulary");
    }
    color_ids.push_back(ids[0]);
  }
  auto embed = [model](const torch::Tensor& ids) { return model->TokenEmbedding(ids); };
  CT_ASSIGN_OR_RETURN(PromptLearner learner,
                      PromptLearner::FromTemplate(&tok, model->context_length(), embed,
                                                  params.template_text, /*mask_token=*/true));
  // Every set the trial touches: support, evaluation and the further evaluated splits.
  std::vector<const std::vector<datasets::GroundingExample>*> sets = {&task.support, &task.eval};
  for (const auto& split : task.more_evals) sets.push_back(&split.second);
  {
    std::vector<TextRequest> all;
    for (const auto* set : sets) {
      for (const auto& ex : *set) all.push_back({ex.query, "", -1});
    }
    CT_RETURN_IF_ERROR(learner.Check(all));
  }
  const int64_t num_c = static_cast<int64_t>(color_ids.size());
  int64_t pmax = 1;
  for (const auto* set : sets) {
    for (const auto& ex : *set) pmax = std::max<int64_t>(pmax, ex.proposals.size());
  }
  const int64_t rmax = (pmax + num_c - 1) / num_c;
  const int64_t n_eval = static_cast<int64_t>(task.eval.size());
  std::vector<float> predictions, proposal_scores, color_scores;
  // Accuracy over the first `limit` examples of `set` (all when limit <= 0); fills the
  // arrays given (the first set's go into the result).
  auto evaluate_set = [&](const std::vector<datasets::GroundingExample>& set, int64_t limit,
                          std::vector<float>* preds, std::vector<float>* scores,
                          std::vector<float>* colours) -> Result<double> {
    torch::NoGradGuard no_grad;
    const int64_t n_set = static_cast<int64_t>(set.size());
    const int64_t n = EvalCount(limit, n_set);
    const auto [b, e] = ShardOf(n, ctx.comm->rank(), ctx.comm->size());
    GroundingEval out(n_set, pmax, rmax, num_c);
    for (int64_t s = b; s < e; s += kEvalExampleChunk) {
      std::vector<const datasets::GroundingExample*> exs;
      for (int64_t i = s; i < std::min(e, s + kEvalExampleChunk); ++i) exs.push_back(&set[i]);
      FusionScores f = Score(exs, marker, learner, *model, color_ids, pmax);
      const torch::Tensor logits = f.logits.to(torch::kCPU, torch::kFloat32).contiguous();
      const torch::Tensor pred = logits.argmax(1);
      for (size_t j = 0; j < exs.size(); ++j) {
        const int64_t row = static_cast<int64_t>(j);
        const torch::Tensor vt = f.view_text[j].to(torch::kCPU, torch::kFloat32).contiguous();
        const int64_t p = pred[row].item<int64_t>();
        out.Record(s + row, p, datasets::IsCorrectChoice(*exs[j], p),
                   logits.data_ptr<float>() + row * logits.size(1),
                   static_cast<int64_t>(exs[j]->proposals.size()), vt.data_ptr<float>(), vt.size(0),
                   vt.size(1));
      }
    }
    CT_RETURN_IF_ERROR(out.SumOverRanks(ctx.comm));
    out.CopyTo(preds, scores, colours);
    return out.Accuracy(n);
  };
  auto evaluate = [&](int64_t limit) {
    return evaluate_set(task.eval, limit, &predictions, &proposal_scores, &color_scores);
  };
  TrialResult r;
  std::optional<double> final_accuracy;
  if (params.train.epochs > 0) {
    if (task.support.empty()) {
      return InvalidArgument(
          "cpt with epochs > 0 tunes its prompt on the support set, which "
          "is empty (shots is 0)");
    }
    TrainHooks hooks;
    hooks.loss_sum = [&](const std::vector<int64_t>& idx) {
      std::vector<const datasets::GroundingExample*> exs;
      std::vector<int64_t> targets;
      for (int64_t i : idx) {
        exs.push_back(&task.support[i]);
        targets.push_back(task.support[i].target);
      }
      torch::Tensor logits = Score(exs, marker, learner, *model, color_ids, pmax).logits;
      return torch::nn::functional::cross_entropy(
          logits, torch::tensor(targets).to(logits.device()),
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    };
    hooks.evaluate = evaluate;
    hooks.eval_items = n_eval;
    CT_ASSIGN_OR_RETURN(TrainOutcome o,
                        TrainLoop({learner.context()}, static_cast<int64_t>(task.support.size()),
                                  params.train, train_seed, ctx, hooks));
    r.curves = o.curves;
    r.metrics["train_steps"] = static_cast<double>(o.steps);
    r.info["context_words"] = learner.NearestWords();
    const torch::Tensor c = learner.context().detach().to(torch::kCPU).contiguous();
    r.arrays.push_back({"context_vectors", c.sizes().vec(),
                        std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel())});
    final_accuracy = o.final_accuracy;
  }
  CT_RETURN_IF_ERROR(FinishGroundingResult(task, final_accuracy, evaluate, n_eval, pmax,
                                           predictions, proposal_scores, &r));
  r.arrays.push_back({"cpt_color_scores", {n_eval, rmax, num_c}, color_scores});
  // refexp: the evaluated split by name, and the further splits (RefCOCO's testA, testB)
  // apart, accuracy only, as the dual-encoder runner reports them.
  if (!task.eval_split.empty()) r.metrics["accuracy/" + task.eval_split] = r.metrics["accuracy"];
  for (const auto& [split, set] : task.more_evals) {
    std::vector<float> preds, scores, colours;
    CT_ASSIGN_OR_RETURN(r.metrics["accuracy/" + split],
                        evaluate_set(set, 0, &preds, &scores, &colours));
    r.metrics["eval_size/" + split] = static_cast<double>(set.size());
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace chromatune::methods
