#include "datasets/task_data.h"

#include <algorithm>

#include "datasets/coop_split.h"
#include "datasets/fashion_mnist.h"
#include "datasets/fashion_pools.h"
#include "datasets/image_cache.h"
#include "datasets/refexp.h"
#include "datasets/rng.h"
#include "datasets/shift.h"
#include "datasets/sources/fewshot.h"
#include "datasets/sources/manifest.h"

namespace chromatune::datasets {

namespace {

constexpr const char* kRefexpPrefix = "refexp:";

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Status UnknownDataset(const std::string& dataset, const char* task) {
  return InvalidArgument(
      "dataset: \"" + dataset + "\" is not a " + task +
      " dataset (fashion-mnist, fashion-mnist-shift, imagefolder:ROOT, csv:FILE, "
      "coop-split:FILE; "
      "grounding: fashion-ref, fashion-ref-shift, refexp:PATH)");
}

std::vector<int> AsInts(const std::vector<uint8_t>& labels) {
  return {labels.begin(), labels.end()};
}

// Fashion-MNIST classification (fashion_pools.h): support sets from the train split's
// support pool, CoOp's min(K, 4)-per-class validation shots from its val pool; evaluation on
// EvaluationSubset of the test split, or on the splits the sweep lists ("val" is the whole
// val pool, 200 per class; "test" the test subset). `domain` renders the support; the sweep's
// eval.domain (shift) renders every evaluated set in the shifted domain instead.
Result<ClassificationTask> FashionClassification(Domain domain, const FewShotSpec& spec,
                                                 const TaskDataOptions& o) {
  CT_ASSIGN_OR_RETURN(auto train, LoadFashionMnist(FashionSplit::kTrain, o.fashion_dir));
  CT_ASSIGN_OR_RETURN(auto test, LoadFashionMnist(FashionSplit::kTest, o.fashion_dir));
  const FashionTrainPools pools = MakeFashionTrainPools(train->labels);
  const Domain eval_domain = o.dataset.eval.domain == "shift" ? Domain::kShift : domain;
  ClassificationTask task;
  task.class_names.assign(FashionClassWords().begin(), FashionClassWords().end());
  auto render = [&](const FashionMnist& split, const std::vector<int64_t>& indices, Domain d,
                    ClassificationSet* set) {
    for (int64_t i : indices) {
      set->images.push_back(
          RenderClassificationItem(split.item(i), o.image_size, d, split.split, i));
      set->labels.push_back(split.labels[static_cast<size_t>(i)]);
      set->source_ids.push_back(i);
    }
  };
  // Positions `picked` in a pool, as split indices.
  auto of_pool = [](const std::vector<int64_t>& pool, const std::vector<int64_t>& picked) {
    std::vector<int64_t> indices;
    for (int64_t k : picked) indices.push_back(pool[static_cast<size_t>(k)]);
    return indices;
  };
  CT_ASSIGN_OR_RETURN(auto support,
                      SampleSupport(PoolLabels(*train, pools.support), kFashionClasses, spec));
  render(*train, of_pool(pools.support, support), domain, &task.support);

  const std::vector<std::string>& splits = o.dataset.eval.splits;
  const bool val_evaluated = std::find(splits.begin(), splits.end(), "val") != splits.end();
  if (spec.shots > 0 && !val_evaluated) {  // as sources/fewshot.h: never from evaluated data
    FewShotSpec val;
    val.shots = std::min(spec.shots, kMaxValShotsPerClass);
    val.unit = ShotUnit::kPerClass;
    val.data_seed = MixSeed(kValShotsStream, spec.data_seed);
    CT_ASSIGN_OR_RETURN(auto picked,
                        SampleSupportUpTo(PoolLabels(*train, pools.val), kFashionClasses, val));
    render(*train, of_pool(pools.val, picked), domain, &task.val);
  }
  auto evaluated = [&](const std::string& split, ClassificationSet* set) {
    if (split == "val") {
      const std::vector<int> labels = PoolLabels(*train, pools.val);
      render(*train, of_pool(pools.val, EvaluationSubset(labels, kFashionClasses, o.eval_size)),
             eval_domain, set);
    } else {
      render(*test, EvaluationSubset(AsInts(test->labels), kFashionClasses, o.eval_size),
             eval_domain, set);
    }
  };
  if (splits.empty()) {  // the default: the test subset, reported as "accuracy" alone
    evaluated("test", &task.eval);
    return task;
  }
  for (size_t k = 0; k < splits.size(); ++k) {
    ClassificationSet set;
    evaluated(splits[k], &set);
    if (k == 0) {
      task.eval = std::move(set);
      task.eval_split = splits[k];
    } else {
      task.more_evals.emplace_back(splits[k], std::move(set));
    }
  }
  return task;
}

// The items of `split` at `indices` as a ClassificationSet (source ids: positions in the
// split), decoded and preprocessed through the image cache.
Result<ClassificationSet> ManifestSet(const DatasetManifest& manifest, const std::string& split,
                                      const std::vector<int64_t>& indices,
                                      const TaskDataOptions& o) {
  const auto& items = manifest.Split(split);
  ClassificationSet set;
  std::vector<std::string> paths;
  for (int64_t i : indices) {
    const ManifestItem& item = items[static_cast<size_t>(i)];
    paths.push_back(manifest.FullPath(item));
    set.labels.push_back(item.label);
    set.source_ids.push_back(i);
  }
  ImageLoadOptions load;
  load.size = o.image_size;
  load.cache_dir = o.image_cache_dir;
  load.threads = o.decode_threads;
  CT_ASSIGN_OR_RETURN(set.images, LoadPreprocessedImages(paths, load));
  return set;
}

// Which items of `split` are evaluated: all of them, or a class-stratified subset of N.
std::vector<int64_t> EvalIndices(const DatasetManifest& manifest, const std::string& split,
                                 int64_t size) {
  const std::vector<int> labels = manifest.Labels(split);
  if (size > 0) {
    return EvaluationSubset(labels, static_cast<int>(manifest.classes.size()), size);
  }
  std::vector<int64_t> all(labels.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return all;
}

Result<ClassificationTask> ManifestClassification(const std::string& dataset,
                                                  const FewShotSpec& spec,
                                                  const TaskDataOptions& o) {
  CT_ASSIGN_OR_RETURN(DatasetManifest manifest, ReadManifest(dataset, o.dataset));
  std::vector<std::string> splits =
      o.dataset.eval.splits.empty() ? manifest.default_eval_splits : o.dataset.eval.splits;
  if (splits.empty()) return InvalidArgument("no split to evaluate on");
  for (const std::string& split : splits) {
    if (manifest.Split(split).empty()) {
      return InvalidArgument("eval.split \"" + split + "\" has no items");
    }
  }
  CT_ASSIGN_OR_RETURN(FewShotDraw draw, SampleFewShot(manifest, spec, splits));
  ClassificationTask task;
  task.class_names = manifest.classes;
  CT_ASSIGN_OR_RETURN(task.support, ManifestSet(manifest, kTrainSplit, draw.train, o));
  if (!draw.val.empty()) {
    CT_ASSIGN_OR_RETURN(task.val, ManifestSet(manifest, kValSplit, draw.val, o));
  }
  // Users' datasets are evaluated on everything unless the sweep asks for a subset;
  // eval_size (tests, benches) bounds it too.
  int64_t size = o.dataset.eval.size > 0 ? o.dataset.eval.size : 0;
  if (o.eval_size != kDefaultEvalSize && (size == 0 || o.eval_size < size)) size = o.eval_size;
  for (size_t k = 0; k < splits.size(); ++k) {
    CT_ASSIGN_OR_RETURN(
        ClassificationSet set,
        ManifestSet(manifest, splits[k], EvalIndices(manifest, splits[k], size), o));
    if (k == 0) {
      task.eval = std::move(set);
      task.eval_split = splits[k];
    } else {
      task.more_evals.emplace_back(splits[k], std::move(set));
    }
  }
  return task;
}

Result<GroundingTask> FashionGrounding(Domain domain, const FewShotSpec& spec,
                                       const TaskDataOptions& o) {
  FashionRefOptions ref;
  ref.canvas_size = o.image_size;
  ref.domain = domain;
  ref.fashion_dir = o.fashion_dir;
  // Item sides are specified for 56-pixel canvases; keep their share of the canvas.
  ref.min_item_size = std::max(6, ref.min_item_size * o.image_size / 56);
  ref.max_item_size = std::max(ref.min_item_size, ref.max_item_size * o.image_size / 56);
  GroundingTask task;
  task.class_names.assign(FashionClassWords().begin(), FashionClassWords().end());
  CT_ASSIGN_OR_RETURN(auto pool,
                      MakeFashionRef(FashionRefPool::kSupport, o.grounding_support_pool, ref));
  std::vector<int> labels;
  for (const GroundingExample& ex : pool) labels.push_back(ex.target_label);
  CT_ASSIGN_OR_RETURN(auto support, SampleSupport(labels, kFashionClasses, spec));
  for (int64_t i : support) task.support.push_back(std::move(pool[static_cast<size_t>(i)]));
  // The sweep's eval.domain (shift) renders the evaluation scenes shifted: support from the
  // plain set, evaluation on the shifted one (CoOp's domain-generalisation protocol).
  if (o.dataset.eval.domain == "shift") ref.domain = Domain::kShift;
  CT_ASSIGN_OR_RETURN(task.eval, MakeFashionRef(FashionRefPool::kEval, o.eval_size, ref));
  return task;
}

Result<GroundingTask> RefexpGrounding(const std::string& path, const FewShotSpec& spec,
                                      const TaskDataOptions& o) {
  CT_ASSIGN_OR_RETURN(RefexpSet set, ReadRefexp(path, o.dataset.image_root, o.dataset.proposals));
  GroundingTask task;
  task.class_names = set.category_names;
  const int classes = static_cast<int>(set.category_names.size());
  const std::vector<std::string> splits =
      o.dataset.eval.splits.empty() ? set.default_eval_splits : o.dataset.eval.splits;
  if (splits.empty()) {
    return InvalidArgument(path +
                           ": \"refs\": no ref with a split other than \"train\" to evaluate on");
  }
  auto labels_of = [&](const std::vector<int64_t>& ids) {
    std::vector<int> labels;
    for (int64_t i : ids) labels.push_back(set.entries[static_cast<size_t>(i)].target_category);
    return labels;
  };
  const auto train_it = set.split_entries.find("train");
  const std::vector<int64_t> train_ids =
      train_it == set.split_entries.end() ? std::vector<int64_t>{} : train_it->second;
  CT_ASSIGN_OR_RETURN(auto support, SampleSupport(labels_of(train_ids), classes, spec));
  std::vector<int64_t> support_ids;
  for (int64_t k : support) support_ids.push_back(train_ids[static_cast<size_t>(k)]);
  CT_ASSIGN_OR_RETURN(task.support, LoadRefexpExamples(set, support_ids, o.decode_threads));
  // Every split apart, all of its expressions unless the sweep asks for a subset.
  int64_t size = o.dataset.eval.size > 0 ? o.dataset.eval.size : 0;
  if (o.eval_size != kDefaultEvalSize && (size == 0 || o.eval_size < size)) size = o.eval_size;
  for (size_t k = 0; k < splits.size(); ++k) {
    const auto it = set.split_entries.find(splits[k]);
    if (it == set.split_entries.end() || splits[k] == "train") {
      return InvalidArgument(path + ": eval.split \"" + splits[k] + "\" has no refs to evaluate");
    }
    std::vector<int64_t> chosen = it->second;
    if (size > 0) {
      std::vector<int64_t> subset;
      for (int64_t j : EvaluationSubset(labels_of(it->second), classes, size)) {
        subset.push_back(it->second[static_cast<size_t>(j)]);
      }
      chosen = std::move(subset);
    }
    CT_ASSIGN_OR_RETURN(auto examples, LoadRefexpExamples(set, chosen, o.decode_threads));
    if (k == 0) {
      task.eval = std::move(examples);
      task.eval_split = splits[k];
    } else {
      task.more_evals.emplace_back(splits[k], std::move(examples));
    }
  }
  return task;
}

Status ValidateOptions(const TaskDataOptions& o) {
  if (o.image_size < 32 || o.image_size > 1024) {
    return InvalidArgument("image_size: must be 32..1024, got " + std::to_string(o.image_size));
  }
  if (o.eval_size < 1) return InvalidArgument("eval_size: must be >= 1");
  if (o.grounding_support_pool < 1) return InvalidArgument("grounding_support_pool: must be >= 1");
  return Status::Ok();
}

}  // namespace

bool IsGroundingDataset(const std::string& dataset) {
  return dataset == "fashion-ref" || dataset == "fashion-ref-shift" ||
         StartsWith(dataset, kRefexpPrefix);
}

Result<ClassificationTask> LoadClassificationTask(const std::string& dataset,
                                                  const FewShotSpec& spec,
                                                  const TaskDataOptions& options) {
  CT_RETURN_IF_ERROR(ValidateOptions(options));
  Result<ClassificationTask> task = UnknownDataset(dataset, "classification");
  if (dataset == "fashion-mnist") {
    task = FashionClassification(Domain::kPlain, spec, options);
  } else if (dataset == "fashion-mnist-shift") {
    task = FashionClassification(Domain::kShift, spec, options);
  } else if (IsManifestDataset(dataset)) {
    task = ManifestClassification(dataset, spec, options);
  }
  if (!task.ok()) return task.status().WithContext("dataset " + dataset);
  return task;
}

Result<GroundingTask> LoadGroundingTask(const std::string& dataset, const FewShotSpec& spec,
                                        const TaskDataOptions& options) {
  CT_RETURN_IF_ERROR(ValidateOptions(options));
  Result<GroundingTask> task = UnknownDataset(dataset, "grounding");
  if (dataset == "fashion-ref") {
    task = FashionGrounding(Domain::kPlain, spec, options);
  } else if (dataset == "fashion-ref-shift") {
    task = FashionGrounding(Domain::kShift, spec, options);
  } else if (StartsWith(dataset, kRefexpPrefix)) {
    task = RefexpGrounding(dataset.substr(std::string(kRefexpPrefix).size()), spec, options);
  }
  if (!task.ok()) return task.status().WithContext("dataset " + dataset);
  return task;
}

}  // namespace chromatune::datasets
