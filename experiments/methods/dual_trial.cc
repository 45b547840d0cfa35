#include "experiments/methods/dual_trial.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "experiments/methods/grounding_eval.h"
#include "experiments/methods/trainer.h"

namespace chromatune::methods {
namespace {

constexpr int64_t kEvalImageChunk = 256;
constexpr int64_t kEvalExampleChunk = 64;

std::string ImageKey(const std::string& prefix, const char* part, int64_t id) {
  return prefix + "/" + part + "/" + std::to_string(id);
}

std::vector<TextRequest> ClassRequests(const std::vector<std::string>& names) {
  std::vector<TextRequest> r;
  for (size_t c = 0; c < names.size(); ++c) r.push_back({names[c], "", static_cast<int64_t>(c)});
  return r;
}

std::vector<torch::Tensor> Trainable(const DualMethod& m) {
  std::vector<torch::Tensor> p = m.image->Parameters();
  for (auto& t : m.text->Parameters()) p.push_back(t);
  for (auto& t : m.head->Parameters()) p.push_back(t);
  return p;
}

bool Trains(const DualMethod& m) {
  return m.train != nullptr && m.train->epochs > 0 && !Trainable(m).empty();
}

void AddTrainOutcome(const TrainOutcome& o, TrialResult* r) {
  r->curves.insert(r->curves.end(), o.curves.begin(), o.curves.end());
  r->metrics["train_steps"] = static_cast<double>(o.steps);
  for (auto it = o.curves.rbegin(); it != o.curves.rend(); ++it) {
    if (it->name == "train_loss") {
      r->metrics["train_loss"] = it->value;
      break;
    }
  }
}

// ---- grounding helpers ----

struct GroundingScores {
  torch::Tensor logits;                  // [B, Pmax], -inf padding
  std::vector<torch::Tensor> view_text;  // per example [V, K] (only when asked)
};

GroundingScores ScoreExamples(const std::vector<const datasets::GroundingExample*>& examples,
                              const std::string& prefix, const ViewFn& view_fn, const DualMethod& m,
                              bool keep_view_text) {
  std::vector<ProposalViews> views;
  std::vector<const datasets::Image*> images;
  std::vector<std::string> keys;
  std::vector<TextRequest> texts;
  std::vector<int64_t> view_offset, text_offset;
  for (const auto* ex : examples) views.push_back(view_fn(*ex, prefix));
  int64_t pmax = 1;
  for (const auto& v : views) {
    view_offset.push_back(static_cast<int64_t>(images.size()));
    text_offset.push_back(static_cast<int64_t>(texts.size()));
    for (size_t i = 0; i < v.views.size(); ++i) {
      images.push_back(&v.views[i]);
      keys.push_back(v.keys[i]);
    }
    texts.insert(texts.end(), v.texts.begin(), v.texts.end());
    pmax = std::max<int64_t>(pmax, static_cast<int64_t>(v.view_of.size()));
  }
  const torch::Tensor img = m.image->Encode(images, keys);
  const torch::Tensor txt = m.text->Encode(texts).to(img.device());
  std::vector<int64_t> vi, ti;
  for (size_t e = 0; e < views.size(); ++e) {
    for (size_t p = 0; p < views[e].view_of.size(); ++p) {
      vi.push_back(view_offset[e] + views[e].view_of[p]);
      ti.push_back(text_offset[e] + views[e].text_of[p]);
    }
  }
  const auto dev = img.device();
  const torch::Tensor scores = m.head->Pair(img.index_select(0, torch::tensor(vi).to(dev)),
                                            txt.index_select(0, torch::tensor(ti).to(dev)));
  GroundingScores out;
  std::vector<torch::Tensor> rows;
  int64_t at = 0;
  for (size_t e = 0; e < views.size(); ++e) {
    const int64_t p = static_cast<int64_t>(views[e].view_of.size());
    torch::Tensor row = scores.slice(0, at, at + p);
    at += p;
    if (p < pmax) {
      row = torch::cat(
          {row, torch::full({pmax - p}, -std::numeric_limits<float>::infinity(), row.options())});
    }
    rows.push_back(row);
    if (keep_view_text) {
      const int64_t nv = static_cast<int64_t>(views[e].views.size());
      const int64_t nt = static_cast<int64_t>(views[e].texts.size());
      out.view_text.push_back(m.head
                                  ->Classify(img.slice(0, view_offset[e], view_offset[e] + nv),
                                             txt.slice(0, text_offset[e], text_offset[e] + nt))
                                  .detach()
                                  .to(torch::kCPU));
    }
  }
  out.logits = torch::stack(rows);
  return out;
}

}  // namespace

Status FinishGroundingResult(const datasets::GroundingTask& task,
                             std::optional<double> final_accuracy,
                             const std::function<Result<double>(int64_t)>& evaluate, int64_t n_eval,
                             int64_t pmax, const std::vector<float>& predictions,
                             const std::vector<float>& proposal_scores, TrialResult* r) {
  double acc = 0.0;
  if (final_accuracy) {
    acc = *final_accuracy;  // predictions were filled by that same evaluation
  } else {
    CT_ASSIGN_OR_RETURN(acc, evaluate(0));
  }
  r->metrics["accuracy"] = acc;
  r->metrics["eval_size"] = static_cast<double>(n_eval);
  r->metrics["support_size"] = static_cast<double>(task.support.size());
  r->info["support_ids"] = SupportIds(task);
  r->arrays.push_back({"predictions", {n_eval}, predictions});
  r->arrays.push_back({"proposal_scores", {n_eval, pmax}, proposal_scores});
  return Status::Ok();
}

std::vector<int64_t> SupportIds(const datasets::GroundingTask& task) {
  std::vector<int64_t> ids;
  for (const auto& ex : task.support) ids.push_back(ex.id);
  return ids;
}

int64_t EvalCount(int64_t limit, int64_t n_eval) {
  return limit <= 0 ? n_eval : std::min(limit, n_eval);
}

Status SumOverRanks(std::vector<float>* values, Communicator* comm) {
  if (comm->size() == 1 || values->empty()) return Status::Ok();
  return comm->AllReduceSum(values->data(), values->size());
}

Result<TrialResult> RunDualClassification(const datasets::ClassificationTask& task,
                                          const std::string& key_prefix, const DualMethod& m,
                                          TrialContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<TextRequest> classes = ClassRequests(task.class_names);
  CT_RETURN_IF_ERROR(m.text->Check(classes));
  auto batch_logits = [&](const datasets::ClassificationSet& set, const char* part,
                          const std::vector<int64_t>& idx) {
    std::vector<const datasets::Image*> images;
    std::vector<std::string> keys;
    for (int64_t i : idx) {
      images.push_back(&set.images[i]);
      keys.push_back(ImageKey(key_prefix, part, set.source_ids[i]));
    }
    torch::Tensor img = m.image->Encode(images, keys);
    return m.head->Classify(img, m.text->Encode(classes).to(img.device()));
  };
  // Accuracy over the first `limit` items of `set` (all when limit <= 0); fills `predictions`.
  auto evaluate_set = [&](const datasets::ClassificationSet& set, const std::string& part,
                          int64_t limit, std::vector<float>* predictions) -> Result<double> {
    torch::NoGradGuard no_grad;
    m.image->SetTraining(false);
    const int64_t n_set = static_cast<int64_t>(set.images.size());
    const int64_t n = EvalCount(limit, n_set);
    const auto [b, e] = ShardOf(n, ctx.comm->rank(), ctx.comm->size());
    std::vector<float> sums(n_set + 1, 0.0f);  // predictions, then the correct count
    for (int64_t s = b; s < e; s += kEvalImageChunk) {
      std::vector<int64_t> idx;
      for (int64_t i = s; i < std::min(e, s + kEvalImageChunk); ++i) idx.push_back(i);
      const torch::Tensor pred = batch_logits(set, part.c_str(), idx).argmax(1).to(torch::kCPU);
      for (size_t j = 0; j < idx.size(); ++j) {
        const int64_t p = pred[static_cast<int64_t>(j)].item<int64_t>();
        sums[idx[j]] = static_cast<float>(p);
        if (p == set.labels[idx[j]]) sums[n_set] += 1.0f;
      }
    }
    CT_RETURN_IF_ERROR(SumOverRanks(&sums, ctx.comm));
    m.image->SetTraining(true);
    predictions->assign(sums.begin(), sums.end() - 1);
    return n == 0 ? 0.0 : sums[n_set] / static_cast<double>(n);
  };
  const int64_t n_eval = static_cast<int64_t>(task.eval.images.size());
  std::vector<float> predictions;
  // Feature-cache keys name the split, so trials evaluating other splits never share rows.
  const std::string eval_part = task.eval_split.empty() ? "eval" : "eval/" + task.eval_split;
  auto evaluate = [&](int64_t limit) -> Result<double> {
    return evaluate_set(task.eval, eval_part, limit, &predictions);
  };
  TrialResult r;
  std::optional<double> final_accuracy;
  if (Trains(m)) {
    if (task.support.images.empty()) {
      return InvalidArgument("method trains but the support set is empty (shots is 0)");
    }
    TrainHooks hooks;
    hooks.loss_sum = [&](const std::vector<int64_t>& idx) {
      torch::Tensor logits = batch_logits(task.support, "support", idx);
      std::vector<int64_t> labels;
      for (int64_t i : idx) labels.push_back(task.support.labels[i]);
      return torch::nn::functional::cross_entropy(
          logits, torch::tensor(labels).to(logits.device()),
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    };
    hooks.evaluate = evaluate;
    hooks.eval_items = n_eval;
    m.image->SetTraining(true);
    CT_ASSIGN_OR_RETURN(TrainOutcome o,
                        TrainLoop(Trainable(m), static_cast<int64_t>(task.support.images.size()),
                                  *m.train, m.train_seed, ctx, hooks));
    AddTrainOutcome(o, &r);
    final_accuracy = o.final_accuracy;
  }
  double acc = 0.0;
  if (final_accuracy) {
    acc = *final_accuracy;  // predictions were filled by that same evaluation
  } else {
    CT_ASSIGN_OR_RETURN(acc, evaluate(0));
  }
  r.metrics["accuracy"] = acc;
  r.metrics["eval_size"] = static_cast<double>(n_eval);
  r.metrics["support_size"] = static_cast<double>(task.support.images.size());
  r.info["support_ids"] = task.support.source_ids;
  r.arrays.push_back({"predictions", {n_eval}, predictions});
  // Users' datasets: every evaluated split apart (accuracy/<split>, the first is "accuracy"),
  // and the few-shot validation set CoOp's rule draws (val_accuracy: what search tunes on).
  if (!task.eval_split.empty()) r.metrics["accuracy/" + task.eval_split] = acc;
  for (const auto& [split, set] : task.more_evals) {
    std::vector<float> split_predictions;
    CT_ASSIGN_OR_RETURN(double split_acc,
                        evaluate_set(set, "eval/" + split, 0, &split_predictions));
    const auto n = static_cast<int64_t>(set.images.size());
    r.metrics["accuracy/" + split] = split_acc;
    r.metrics["eval_size/" + split] = static_cast<double>(n);
    r.arrays.push_back({"predictions_" + split, {n}, split_predictions});  // HDF5: no /
  }
  if (!task.val.images.empty()) {
    std::vector<float> val_predictions;
    CT_ASSIGN_OR_RETURN(r.metrics["val_accuracy"],
                        evaluate_set(task.val, "val", 0, &val_predictions));
    r.metrics["val_size"] = static_cast<double>(task.val.images.size());
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

Result<TrialResult> RunDualGrounding(const datasets::GroundingTask& task,
                                     const std::string& key_prefix, const ViewFn& view_fn,
                                     const DualMethod& m, bool cpt_scores, TrialContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<TextRequest> all;
    std::vector<const std::vector<datasets::GroundingExample>*> sets = {&task.support, &task.eval};
    for (const auto& split : task.more_evals) sets.push_back(&split.second);
    for (const auto* set : sets) {
      for (const auto& ex : *set) {
        for (const auto& t : view_fn(ex, key_prefix).texts) all.push_back(t);
      }
    }
    CT_RETURN_IF_ERROR(m.text->Check(all));
  }
  const std::string support_prefix = key_prefix + "/support";
  const std::string eval_prefix = key_prefix + "/eval";
  const int64_t n_eval = static_cast<int64_t>(task.eval.size());
  int64_t pmax = 1, rmax = 1, cmax = 1;
  for (const auto& ex : task.eval) {
    ProposalViews v = view_fn(ex, eval_prefix + "/" + std::to_string(ex.id));
    pmax = std::max<int64_t>(pmax, static_cast<int64_t>(v.view_of.size()));
    rmax = std::max<int64_t>(rmax, static_cast<int64_t>(v.views.size()));
    cmax = std::max<int64_t>(cmax, static_cast<int64_t>(v.texts.size()));
  }
  auto prefixed = [&](const std::string& prefix) {
    return [&, prefix](const datasets::GroundingExample& ex, const std::string&) {
      return view_fn(ex, prefix + "/" + std::to_string(ex.id));
    };
  };
  const ViewFn eval_views = prefixed(eval_prefix);
  const ViewFn support_views = prefixed(support_prefix);
  std::vector<float> predictions, proposal_scores, color_scores;
  auto evaluate = [&](int64_t limit) -> Result<double> {
    torch::NoGradGuard no_grad;
    m.image->SetTraining(false);
    const int64_t n = EvalCount(limit, n_eval);
    const auto [b, e] = ShardOf(n, ctx.comm->rank(), ctx.comm->size());
    GroundingEval out(n_eval, pmax, rmax, cpt_scores ? cmax : 0);
    for (int64_t s = b; s < e; s += kEvalExampleChunk) {
      std::vector<const datasets::GroundingExample*> exs;
      for (int64_t i = s; i < std::min(e, s + kEvalExampleChunk); ++i) exs.push_back(&task.eval[i]);
      GroundingScores g = ScoreExamples(exs, "", eval_views, m, cpt_scores);
      const torch::Tensor logits = g.logits.to(torch::kCPU, torch::kFloat32).contiguous();
      const torch::Tensor pred = logits.argmax(1);
      for (size_t j = 0; j < exs.size(); ++j) {
        const int64_t row = static_cast<int64_t>(j);
        const int64_t np = static_cast<int64_t>(exs[j]->proposals.size());
        const float* example_logits = logits.data_ptr<float>() + row * logits.size(1);
        const int64_t p = pred[row].item<int64_t>();
        const bool correct = datasets::IsCorrectChoice(*exs[j], p);
        if (!cpt_scores) {
          out.Record(s + row, p, correct, example_logits, np);
          continue;
        }
        const torch::Tensor vt = g.view_text[j].to(torch::kCPU, torch::kFloat32).contiguous();
        out.Record(s + row, p, correct, example_logits, np, vt.data_ptr<float>(), vt.size(0),
                   vt.size(1));
      }
    }
    CT_RETURN_IF_ERROR(out.SumOverRanks(ctx.comm));
    m.image->SetTraining(true);
    out.CopyTo(&predictions, &proposal_scores, &color_scores);
    return out.Accuracy(n);
  };
  TrialResult r;
  std::optional<double> final_accuracy;
  if (Trains(m)) {
    if (task.support.empty()) {
      return InvalidArgument("method trains but the support set is empty (shots is 0)");
    }
    TrainHooks hooks;
    hooks.loss_sum = [&](const std::vector<int64_t>& idx) {
      std::vector<const datasets::GroundingExample*> exs;
      std::vector<int64_t> targets;
      for (int64_t i : idx) {
        exs.push_back(&task.support[i]);
        targets.push_back(task.support[i].target);
      }
      torch::Tensor logits = ScoreExamples(exs, "", support_views, m, false).logits;
      return torch::nn::functional::cross_entropy(
          logits, torch::tensor(targets).to(logits.device()),
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    };
    hooks.evaluate = evaluate;
    hooks.eval_items = n_eval;
    m.image->SetTraining(true);
    CT_ASSIGN_OR_RETURN(TrainOutcome o,
                        TrainLoop(Trainable(m), static_cast<int64_t>(task.support.size()), *m.train,
                                  m.train_seed, ctx, hooks));
    AddTrainOutcome(o, &r);
    final_accuracy = o.final_accuracy;
  }
  // refexp: the further splits (RefCOCO's testA, testB) apart, accuracy only.
  for (const auto& [split, set] : task.more_evals) {
    torch::NoGradGuard no_grad;
    m.image->SetTraining(false);
    const ViewFn views = prefixed(key_prefix + "/eval");  // example ids are unique per file
    const int64_t n = static_cast<int64_t>(set.size());
    const auto [b, e] = ShardOf(n, ctx.comm->rank(), ctx.comm->size());
    std::vector<float> correct(1, 0.0f);
    for (int64_t s = b; s < e; s += kEvalExampleChunk) {
      std::vector<const datasets::GroundingExample*> exs;
      for (int64_t i = s; i < std::min(e, s + kEvalExampleChunk); ++i) exs.push_back(&set[i]);
      const torch::Tensor pred =
          ScoreExamples(exs, "", views, m, false).logits.argmax(1).to(torch::kCPU);
      for (size_t j = 0; j < exs.size(); ++j) {
        if (datasets::IsCorrectChoice(*exs[j], pred[static_cast<int64_t>(j)].item<int64_t>())) {
          correct[0] += 1.0f;
        }
      }
    }
    CT_RETURN_IF_ERROR(SumOverRanks(&correct, ctx.comm));
    m.image->SetTraining(true);
    r.metrics["accuracy/" + split] = n == 0 ? 0.0 : correct[0] / static_cast<double>(n);
    r.metrics["eval_size/" + split] = static_cast<double>(n);
  }
  CT_RETURN_IF_ERROR(FinishGroundingResult(task, final_accuracy, evaluate, n_eval, pmax,
                                           predictions, proposal_scores, &r));
  if (!task.eval_split.empty()) r.metrics["accuracy/" + task.eval_split] = r.metrics["accuracy"];
  if (cpt_scores) r.arrays.push_back({"cpt_color_scores", {n_eval, rmax, cmax}, color_scores});
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace chromatune::methods
