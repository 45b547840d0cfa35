#include "datasets/task_data.h"

#include <algorithm>

#include "datasets/coop_split.h"
#include "datasets/fashion_mnist.h"
#include "datasets/refexp.h"
#include "datasets/shift.h"

namespace chromatune::datasets {

namespace {

constexpr const char* kCoopPrefix = "coop-split:";
constexpr const char* kRefexpPrefix = "refexp:";

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Status UnknownDataset(const std::string& dataset, const char* task) {
  return InvalidArgument("dataset: \"" + dataset + "\" is not a " + task +
                         " dataset (fashion-mnist, fashion-mnist-shift, coop-split:PATH; "
                         "grounding: fashion-ref, fashion-ref-shift, refexp:PATH)");
}

std::vector<int> AsInts(const std::vector<uint8_t>& labels) {
  return {labels.begin(), labels.end()};
}

Result<ClassificationTask> FashionClassification(Domain domain, const FewShotSpec& spec,
                                                 const TaskDataOptions& o) {
  CT_ASSIGN_OR_RETURN(auto train, LoadFashionMnist(FashionSplit::kTrain, o.fashion_dir));
  CT_ASSIGN_OR_RETURN(auto test, LoadFashionMnist(FashionSplit::kTest, o.fashion_dir));
  ClassificationTask task;
  task.class_names.assign(FashionClassWords().begin(), FashionClassWords().end());
  CT_ASSIGN_OR_RETURN(auto support, SampleSupport(AsInts(train->labels), kFashionClasses, spec));
  auto render = [&](const FashionMnist& split, const std::vector<int64_t>& indices,
                    ClassificationSet* set) {
    for (int64_t i : indices) {
      set->images.push_back(
          RenderClassificationItem(split.item(i), o.image_size, domain, split.split, i));
      set->labels.push_back(split.labels[static_cast<size_t>(i)]);
      set->source_ids.push_back(i);
    }
  };
  render(*train, support, &task.support);
  render(*test, EvaluationSubset(AsInts(test->labels), kFashionClasses, o.eval_size), &task.eval);
  return task;
}

Result<ClassificationTask> CoopClassification(const std::string& path, const FewShotSpec& spec,
                                              const TaskDataOptions& o) {
  CT_ASSIGN_OR_RETURN(CoopSplit split, ReadCoopSplit(path));
  ClassificationTask task;
  task.class_names = split.class_names;
  const int classes = static_cast<int>(split.class_names.size());
  auto labels_of = [](const std::vector<CoopEntry>& entries) {
    std::vector<int> labels;
    for (const CoopEntry& e : entries) labels.push_back(e.label);
    return labels;
  };
  CT_ASSIGN_OR_RETURN(auto support, SampleSupport(labels_of(split.train), classes, spec));
  const auto eval = EvaluationSubset(labels_of(split.test), classes, o.eval_size);
  auto fill = [&](const std::vector<CoopEntry>& entries, const std::vector<int64_t>& indices,
                  ClassificationSet* set) -> Status {
    CT_ASSIGN_OR_RETURN(set->images, LoadCoopImages(entries, indices, o.image_size));
    for (int64_t i : indices) {
      set->labels.push_back(entries[static_cast<size_t>(i)].label);
      set->source_ids.push_back(i);
    }
    return Status::Ok();
  };
  CT_RETURN_IF_ERROR(fill(split.train, support, &task.support));
  CT_RETURN_IF_ERROR(fill(split.test, eval, &task.eval));
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
  CT_ASSIGN_OR_RETURN(task.eval, MakeFashionRef(FashionRefPool::kEval, o.eval_size, ref));
  return task;
}

Result<GroundingTask> RefexpGrounding(const std::string& path, const FewShotSpec& spec,
                                      const TaskDataOptions& o) {
  CT_ASSIGN_OR_RETURN(RefexpSet set, ReadRefexp(path));
  GroundingTask task;
  task.class_names = set.category_names;
  const int classes = static_cast<int>(set.category_names.size());
  std::vector<int64_t> train_ids, eval_ids;
  std::vector<int> train_labels, eval_labels;
  for (size_t i = 0; i < set.entries.size(); ++i) {
    const RefexpEntry& e = set.entries[i];
    const int label = e.target_category;
    if (e.split == "train") {
      train_ids.push_back(static_cast<int64_t>(i));
      train_labels.push_back(label);
    } else {
      eval_ids.push_back(static_cast<int64_t>(i));
      eval_labels.push_back(label);
    }
  }
  if (eval_ids.empty()) {
    return InvalidArgument(path +
                           ": \"refs\": no ref with a split other than \"train\" to evaluate on");
  }
  CT_ASSIGN_OR_RETURN(auto support, SampleSupport(train_labels, classes, spec));
  std::vector<int64_t> support_ids, chosen_eval;
  for (int64_t k : support) support_ids.push_back(train_ids[static_cast<size_t>(k)]);
  for (int64_t k : EvaluationSubset(eval_labels, classes, o.eval_size)) {
    chosen_eval.push_back(eval_ids[static_cast<size_t>(k)]);
  }
  CT_ASSIGN_OR_RETURN(task.support, LoadRefexpExamples(set, support_ids, o.image_size));
  CT_ASSIGN_OR_RETURN(task.eval, LoadRefexpExamples(set, chosen_eval, o.image_size));
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
  } else if (StartsWith(dataset, kCoopPrefix)) {
    task = CoopClassification(dataset.substr(std::string(kCoopPrefix).size()), spec, options);
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
