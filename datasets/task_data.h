// Task data by dataset name: what a trial trains and evaluates on, given the plan item's
// dataset, shots, shot_unit and data_seed. The one entry point the methods use.
//
// Classification datasets:
//   "fashion-mnist"        support from the TRAIN split (kPlain rendering), evaluation on
//                          EvaluationSubset of the TEST split (2,000 items, 200 per class).
//   "fashion-mnist-shift"  the same items rendered in Domain::kShift (shift.h): support from
//                          shifted train items, evaluation on the same 2,000 shifted test
//                          items.
//   "coop-split:PATH"      support from "train", evaluation on "test" (EvaluationSubset of it
//                          when larger than eval_size), images resized to image_size.
// Grounding datasets:
//   "fashion-ref"          support from FashionRefPool::kSupport (a pool of 1,000 examples),
//                          evaluation on the first eval_size examples of kEval.
//   "fashion-ref-shift"    the same in Domain::kShift.
//   "refexp:PATH"          support from refs with split "train", evaluation on the rest
//                          (EvaluationSubset when larger than eval_size).
// Few-shot labels: the class (classification) or the target's class (grounding).
// Everything is deterministic; the support depends only on (dataset, shots, unit, data_seed).
// Unknown names → kInvalidArgument naming field "dataset".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/fashion_ref.h"
#include "datasets/image.h"
#include "datasets/sampler.h"

namespace chromatune::datasets {

struct TaskDataOptions {
  int image_size = 56;  // the backbone's input side
  int64_t eval_size = kDefaultEvalSize;
  int64_t grounding_support_pool = 1000;
  std::string fashion_dir;  // "" = default (fashion_mnist.h)
};

struct ClassificationSet {
  std::vector<Image> images;        // image_size x image_size RGB
  std::vector<int> labels;          // 0..C-1
  std::vector<int64_t> source_ids;  // index within the source split (for feature caches)
};

struct ClassificationTask {
  std::vector<std::string> class_names;  // caption words for Fashion-MNIST
  ClassificationSet support;
  ClassificationSet eval;
};

struct GroundingTask {
  std::vector<std::string> class_names;
  std::vector<GroundingExample> support;
  std::vector<GroundingExample> eval;
};

bool IsGroundingDataset(const std::string& dataset);  // fashion-ref*, refexp:*

// Errors name the dataset and what is wrong (files, sampling: e.g. too few examples of a class).
Result<ClassificationTask> LoadClassificationTask(const std::string& dataset,
                                                  const FewShotSpec& spec,
                                                  const TaskDataOptions& options);
Result<GroundingTask> LoadGroundingTask(const std::string& dataset, const FewShotSpec& spec,
                                        const TaskDataOptions& options);

}  // namespace chromatune::datasets
