#include "experiments/methods/trial_engine.h"

#include <chrono>

#include "experiments/methods/dual_trial.h"
#include "experiments/methods/fusion_cpt.h"
#include "experiments/methods/head.h"
#include "experiments/methods/image_side.h"
#include "experiments/methods/method_params.h"
#include "experiments/methods/proposal_views.h"
#include "experiments/methods/text_side.h"
#include "experiments/models/precision.h"
#include "experiments/models/pretrain_on_device.h"
#include "experiments/sweep/fingerprint.h"

namespace chromatune::methods {
namespace {

// Task data sets kept at once (each holds a few thousand small images, ~20 MB).
constexpr size_t kMaxCachedTasks = 8;

const char* const kDefaultPrompt = "a photo of a {}.";

bool GroundingOnly(const std::string& m) { return m == "cpt" || m == "red-circle"; }

// Parses the method's parameters without building anything, so that a bad value is
// reported before a backbone is loaded or pretrained.
Status CheckParams(const TrialSpec& spec) {
  const std::string& m = spec.method;
  const nlohmann::json& p = spec.params;
  if (m == "zero-shot") return ParseZeroShot(p).status();
  if (m == "ensemble") return ParseEnsemble(p).status();
  if (m == "coop") return ParseCoop(p, spec.shots).status();
  if (m == "vpt") return ParseVpt(p, spec.shots).status();
  if (m == "pad-prompt") return ParsePadPrompt(p, spec.shots).status();
  if (m == "cpt") return ParseCpt(p).status();
  if (m == "red-circle") return ParseRedCircle(p).status();
  if (m == "linear-probe") return ParseLinearProbe(p).status();
  if (m == "finetune") return ParseFinetune(p, spec.shots).status();
  return InvalidArgument("plan item: field \"method\": unknown method \"" + m + "\"");
}

Result<datasets::FewShotSpec> FewShot(const TrialSpec& spec) {
  CT_ASSIGN_OR_RETURN(datasets::ShotUnit unit, datasets::ParseShotUnit(spec.shot_unit));
  return datasets::FewShotSpec{static_cast<int>(spec.shots), unit, spec.data_seed};
}

std::string TaskKey(const TrialSpec& spec, int image_size, int64_t eval_size) {
  return spec.dataset + "|" + std::to_string(image_size) + "|" + std::to_string(spec.shots) + "|" +
         spec.shot_unit + "|" + std::to_string(spec.data_seed) + "|" + std::to_string(eval_size) +
         "|" + datasets::DatasetOptionsToJson(spec.dataset_options).dump();
}

// The task of `spec` at `image_size` from `cache`, or loaded by `load(dataset, few, options)`
// on a miss and kept; the cache holds at most kMaxCachedTasks (oldest keys dropped first).
template <typename TaskT, typename Load>
Result<std::shared_ptr<const TaskT>> CachedTask(
    std::map<std::string, std::shared_ptr<const TaskT>>* cache, const TrialSpec& spec,
    int image_size, const std::string& image_cache_dir, int decode_threads, Load load) {
  const std::string key = TaskKey(spec, image_size, spec.eval_size);
  if (auto it = cache->find(key); it != cache->end()) return it->second;
  CT_ASSIGN_OR_RETURN(datasets::FewShotSpec few, FewShot(spec));
  datasets::TaskDataOptions opt;
  opt.image_size = image_size;
  if (spec.eval_size > 0) opt.eval_size = spec.eval_size;
  opt.dataset = spec.dataset_options;
  opt.image_cache_dir = image_cache_dir;
  opt.decode_threads = decode_threads;
  CT_ASSIGN_OR_RETURN(TaskT task, load(spec.dataset, few, opt));
  auto shared = std::make_shared<const TaskT>(std::move(task));
  (*cache)[key] = shared;
  while (cache->size() > kMaxCachedTasks) cache->erase(cache->begin());
  return shared;
}

void AddLearnedContext(const PromptLearner& learner, TrialResult* r) {
  const torch::Tensor c = learner.context().detach().to(torch::kCPU).contiguous();
  r->arrays.push_back({"context_vectors", c.sizes().vec(),
                       std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel())});
  r->info["context_words"] = learner.NearestWords();
}

}  // namespace

TrialEngine::TrialEngine(RunnerOptions options) : options_(std::move(options)) {}

Result<std::shared_ptr<models::Backbone>> TrialEngine::Backbone(const std::string& name,
                                                                TrialContext& ctx) {
  // The fingerprint hashes a checkpoint's bytes once per (path, size, mtime) in the process;
  // names it does not know (spec:) stand for themselves.
  auto fingerprint = BackboneFingerprint(name);
  const std::string identity = fingerprint.ok() ? *fingerprint : name;
  const std::string cache_key = name + '\n' + identity;
  auto it = backbones_.find(cache_key);
  if (it != backbones_.end()) return it->second;
  models::ProgressFn progress;
  if (ctx.progress) {
    progress = [&ctx](double f, const std::string& note) {
      ctx.progress(0.0, "pretraining backbone: " + note + " (" +
                            std::to_string(static_cast<int>(f * 100)) + "%)");
    };
  }
  // A builtin backbone missing from the cache is pretrained where the trials run.
  CT_ASSIGN_OR_RETURN(const models::DeviceChoice device, Device());
  CT_ASSIGN_OR_RETURN(auto backbone, models::LoadOrPretrainOn(name, options_.cache_dir, ctx.comm,
                                                              progress, device.str()));
  if (backbone->dual) {
    for (auto& p : backbone->dual->parameters()) p.requires_grad_(false);
    backbone->dual->SetTraining(false);
  }
  if (backbone->fusion) {
    for (auto& p : backbone->fusion->parameters()) p.requires_grad_(false);
    backbone->fusion->SetTraining(false);
  }
  if (device.cuda) {
    const torch::Device target(device.str());
    if (backbone->dual) backbone->dual->To(target);
    if (backbone->fusion) backbone->fusion->To(target);
  }
  backbone->fingerprint = identity;
  backbones_[cache_key] = backbone;
  return backbone;
}

Result<models::DeviceChoice> TrialEngine::Device() {
  if (!device_) {
    CT_ASSIGN_OR_RETURN(models::DeviceChoice choice,
                        models::ResolveDevice(options_.device, models::LocalRankFromEnvironment()));
    device_ = choice;
  }
  return *device_;
}

std::string TrialEngine::ImageCacheDir() const {
  return options_.cache_dir.empty() ? "" : options_.cache_dir + "/images";
}

FeatureCache& TrialEngine::features(const std::string& name) {
  for (const auto& [key, backbone] : backbones_) {
    if (key.rfind(name + '\n', 0) == 0) return features_[backbone->fingerprint];
  }
  return features_[name];
}

Result<std::shared_ptr<const datasets::ClassificationTask>> TrialEngine::Classification(
    const TrialSpec& spec, int image_size) {
  return CachedTask(&classification_, spec, image_size, ImageCacheDir(), options_.threads,
                    &datasets::LoadClassificationTask);
}

Result<std::shared_ptr<const datasets::GroundingTask>> TrialEngine::Grounding(const TrialSpec& spec,
                                                                              int image_size) {
  return CachedTask(&grounding_, spec, image_size, ImageCacheDir(), options_.threads,
                    &datasets::LoadGroundingTask);
}

Result<TrialResult> TrialEngine::Run(const nlohmann::json& item, TrialContext& ctx) {
  if (ctx.comm == nullptr) return InvalidArgument("trial context has no communicator");
  CT_ASSIGN_OR_RETURN(TrialSpec spec, ParseTrialSpec(item));
  torch::set_num_threads(options_.threads);
  CT_RETURN_IF_ERROR(CheckParams(spec));
  const bool grounding_data = datasets::IsGroundingDataset(spec.dataset);
  if (grounding_data != (spec.task == Task::kGrounding)) {
    return InvalidArgument("plan item: dataset \"" + spec.dataset + "\" is a " +
                           (grounding_data ? "grounding" : "classification") +
                           " dataset, but task is \"" + spec.task_name + "\"");
  }
  if (GroundingOnly(spec.method) && spec.task != Task::kGrounding) {
    return InvalidArgument("method " + spec.method +
                           " marks region proposals: it needs task "
                           "grounding, not " +
                           spec.task_name);
  }
  {
    ParamReader reader(spec.params);
    reader.String("template", kDefaultPrompt);
    CT_RETURN_IF_ERROR(reader.status());
  }
  CT_ASSIGN_OR_RETURN(const models::DeviceChoice device, Device());
  CT_ASSIGN_OR_RETURN(const models::Precision precision, models::ParsePrecision(spec.precision));
  CT_RETURN_IF_ERROR(models::CheckPrecision(precision, device.cuda));
  CT_ASSIGN_OR_RETURN(auto backbone, Backbone(ModelName(spec), ctx));
  Result<TrialResult> result = Internal("trial did not run");
  {
    // Training and evaluation alike run under autocast: a bf16 trial is bf16 throughout.
    models::AutocastScope autocast(precision, device.cuda);
    result = backbone->fusion ? RunFusion(spec, backbone, ctx) : RunDual(spec, backbone, ctx);
  }
  if (!result.ok()) return result.status().WithContext(spec.method);
  result->info["device"] = {{"kind", device.cuda ? "cuda" : "cpu"}, {"name", device.name}};
  if (device.cuda) result->info["device"]["index"] = device.index;
  result->info["precision"] = models::PrecisionName(precision);
  result->info["method"] = spec.method;
  result->info["backbone"] = spec.backbone;
  if (spec.backbone_seed) result->info["backbone_seed"] = *spec.backbone_seed;
  result->info["checkpoint"] = backbone->checkpoint_path;
  return result;
}

Result<TrialResult> TrialEngine::RunFusion(const TrialSpec& spec,
                                           std::shared_ptr<models::Backbone> backbone,
                                           TrialContext& ctx) {
  if (spec.method != "cpt") {
    return InvalidArgument("method " + spec.method + " needs a dual encoder; backbone " +
                           spec.backbone + " (a fusion model) supports method cpt only");
  }
  CT_ASSIGN_OR_RETURN(CptParams params, ParseCpt(spec.params));
  CT_ASSIGN_OR_RETURN(auto task, Grounding(spec, static_cast<int>(backbone->fusion->image_size())));
  params.train.loss_scaling = spec.precision == "fp16";
  torch::manual_seed(spec.train_seed);
  return RunFusionCpt(*task, backbone->fusion, params, spec.train_seed, ctx);
}

Result<TrialResult> TrialEngine::RunDual(const TrialSpec& spec,
                                         std::shared_ptr<models::Backbone> backbone,
                                         TrialContext& ctx) {
  std::shared_ptr<models::VisionLanguageModel> model = backbone->dual;
  // Features computed under reduced precision differ from fp32 ones: their own cache.
  FeatureCache* cache =
      &features_[spec.precision == "fp32" ? backbone->fingerprint
                                          : backbone->fingerprint + '\n' + spec.precision];
  const bool grounding = spec.task == Task::kGrounding;
  const int side = static_cast<int>(model->image_size());
  const std::string& m = spec.method;
  const nlohmann::json& p = spec.params;
  torch::manual_seed(spec.train_seed);

  std::unique_ptr<ImageSide> image;
  std::unique_ptr<TextSide> text;
  std::unique_ptr<Head> head;
  TrainParams train;
  bool trains = false;
  bool cpt_scores = false;
  ViewFn views = [side](const datasets::GroundingExample& ex, const std::string& key) {
    return CropViews(ex, side, key);
  };
  std::shared_ptr<const datasets::ClassificationTask> ctask;
  std::shared_ptr<const datasets::GroundingTask> gtask;
  if (grounding) {
    CT_ASSIGN_OR_RETURN(gtask, Grounding(spec, side));
  } else {
    CT_ASSIGN_OR_RETURN(ctask, Classification(spec, side));
  }
  const int64_t num_classes = grounding ? 0 : static_cast<int64_t>(ctask->class_names.size());
  const torch::Tensor scale = model->LogitScale().detach();
  ParamReader reader(p);
  const std::string prompt = reader.String("template", kDefaultPrompt);
  CT_RETURN_IF_ERROR(reader.status());

  if (m == "zero-shot") {
    CT_ASSIGN_OR_RETURN(ZeroShotParams zp, ParseZeroShot(p));
    text = MakeTemplateTextSide(model, {zp.template_text});
  } else if (m == "ensemble") {
    CT_ASSIGN_OR_RETURN(EnsembleParams ep, ParseEnsemble(p));
    text = MakeTemplateTextSide(model, ep.templates);
  } else if (m == "coop") {
    CT_ASSIGN_OR_RETURN(CoopParams cp, ParseCoop(p, spec.shots));
    if (cp.csc && grounding) {
      return InvalidArgument(
          "params.csc: class-specific context needs task classification "
          "(grounding expressions are open-ended)");
    }
    CT_ASSIGN_OR_RETURN(
        PromptLearner learner,
        PromptLearner::Coop(&model->tokenizer(), model->context_length(), TokenEmbedder(model),
                            cp.ctx_len, cp.class_position, cp.csc, num_classes, cp.init));
    text = MakeLearnedTextSide(model, std::move(learner));
    train = cp.train;
    trains = true;
  } else if (m == "vpt") {
    CT_ASSIGN_OR_RETURN(VptParams vp, ParseVpt(p, spec.shots));
    CT_ASSIGN_OR_RETURN(image, MakeVptImageSide(model, vp.tokens, vp.deep));
    train = vp.train;
    trains = true;
  } else if (m == "pad-prompt") {
    CT_ASSIGN_OR_RETURN(PadPromptParams pp, ParsePadPrompt(p, spec.shots));
    CT_ASSIGN_OR_RETURN(image, MakePadImageSide(model, pp.width));
    train = pp.train;
    trains = true;
  } else if (m == "linear-probe") {
    CT_ASSIGN_OR_RETURN(LinearProbeParams lp, ParseLinearProbe(p));
    head = grounding ? MakeBilinearHead(model->embed_dim(), scale)
                     : MakeLinearHead(torch::zeros({num_classes, model->embed_dim()}));
    train = lp.train;
    trains = true;
  } else if (m == "finetune") {
    CT_ASSIGN_OR_RETURN(FinetuneParams fp, ParseFinetune(p, spec.shots));
    CT_ASSIGN_OR_RETURN(image, MakeFinetuneImageSide(*model, fp.last_k_blocks));
    if (!grounding) {
      torch::Tensor w;
      if (fp.head == "text") {
        auto zs = MakeTemplateTextSide(model, {prompt});
        std::vector<TextRequest> classes;
        for (const auto& c : ctask->class_names) classes.push_back({c, "", -1});
        w = scale * zs->Encode(classes).to(torch::kCPU);
      } else {
        w = torch::randn({num_classes, model->embed_dim()}) * 0.01;
      }
      head = MakeLinearHead(w);
    }
    train = fp.train;
    trains = true;
  } else if (m == "cpt") {
    CT_ASSIGN_OR_RETURN(CptParams cp, ParseCpt(p));
    const CptMarker marker{cp.colors, static_cast<float>(cp.alpha), cp.marker == "mask"};
    views = [marker, side](const datasets::GroundingExample& ex, const std::string& key) {
      return CptViews(ex, marker, side, key);
    };
    cpt_scores = true;
    if (cp.train.epochs > 0) {
      CT_ASSIGN_OR_RETURN(PromptLearner learner,
                          PromptLearner::FromTemplate(&model->tokenizer(), model->context_length(),
                                                      TokenEmbedder(model), cp.template_text,
                                                      /*mask_token=*/false));
      text = MakeLearnedTextSide(model, std::move(learner));
      train = cp.train;
      trains = true;
    } else {
      text = MakeTemplateTextSide(model, {cp.template_text});
    }
  } else if (m == "red-circle") {
    CT_ASSIGN_OR_RETURN(RedCircleParams rp, ParseRedCircle(p));
    views = [rp, side](const datasets::GroundingExample& ex, const std::string& key) {
      return RedCircleViews(ex, rp.color.rgb, static_cast<int>(rp.thickness), side, key);
    };
    text = MakeTemplateTextSide(model, {rp.template_text});
  }
  if (!image) image = MakeFrozenImageSide(model, cache);
  if (!text) text = MakeTemplateTextSide(model, {prompt});
  if (!head) head = MakeCosineHead(scale);
  train.loss_scaling = spec.precision == "fp16";

  DualMethod method{image.get(), text.get(), head.get(), trains ? &train : nullptr,
                    spec.train_seed};
  Result<TrialResult> r =
      grounding ? RunDualGrounding(*gtask, spec.dataset, views, method, cpt_scores, ctx)
                : RunDualClassification(*ctask, spec.dataset, method, ctx);
  if (!r.ok()) return r;
  if (const PromptLearner* learner = text->learner()) AddLearnedContext(*learner, &r.value());
  r->info["feature_cache"] = {
      {"rows", cache->size()}, {"hits", cache->hits()}, {"misses", cache->misses()}};
  return r;
}

}  // namespace chromatune::methods
