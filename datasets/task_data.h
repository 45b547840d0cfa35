// Task data by dataset name: what a trial trains and evaluates on, given the plan item's
// dataset, shots, shot_unit and data_seed. The one entry point the methods use.
//
// Classification datasets:
//   "fashion-mnist"        support from the TRAIN split (kPlain rendering), evaluation on
//                          EvaluationSubset of the TEST split (2,000 items, 200 per class).
//   "fashion-mnist-shift"  the same items rendered in Domain::kShift (shift.h): support from
//                          shifted train items, evaluation on the same 2,000 shifted test
//                          items.
//   "imagefolder:ROOT", "csv:FILE", "coop-split:FILE"   (datasets/sources/manifest.h)
//                          CoOp's few-shot rule (sources/fewshot.h): support from "train",
//                          a validation set from "val"; evaluation on every split the sweep
//                          lists (default: the manifest's), all items unless eval.size asks
//                          for a class-stratified subset; images decoded once per file and
//                          preprocessed as CLIP does (image_cache.h).
// Grounding datasets:
//   "fashion-ref"          support from FashionRefPool::kSupport (a pool of 1,000 examples),
//                          evaluation on the first eval_size examples of kEval.
//   "fashion-ref-shift"    the same in Domain::kShift.
//   "refexp:PATH"          support from refs with split "train", evaluation on every split
//                          the sweep lists (default: all but "train"), each all of its refs
//                          unless eval.size asks for a subset; examples at the images' own
//                          resolution (refexp.h LoadRefexpExamples: `original`, decoded once
//                          per image by decode_threads threads), scored by IsCorrectChoice.
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
#include "datasets/sources/dataset_options.h"

namespace chromatune::datasets {

struct TaskDataOptions {
  int image_size = 56;  // the backbone's input side
  int64_t eval_size = kDefaultEvalSize;
  int64_t grounding_support_pool = 1000;
  std::string fashion_dir;  // "" = default (fashion_mnist.h)
  // The sweep's dataset mapping (image root, eval splits and size): users' datasets only.
  DatasetOptions dataset;
  // Where decoded, preprocessed images of users' datasets are kept ("" = decode every time),
  // and how many threads decode them (image_cache.h).
  std::string image_cache_dir;
  int decode_threads = 2;
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
  // Users' datasets: the split `eval` holds ("test", "val", ...), further evaluated splits
  // (each reported as accuracy/<split>), and CoOp's few-shot validation set (min(K, 4) per
  // class from "val", for tuning and early stopping; empty when there is none).
  std::string eval_split;
  std::vector<std::pair<std::string, ClassificationSet>> more_evals;
  ClassificationSet val;
};

struct GroundingTask {
  std::vector<std::string> class_names;
  std::vector<GroundingExample> support;
  std::vector<GroundingExample> eval;
  // refexp: the split `eval` holds (RefCOCO: "val"), and the further evaluated splits
  // ("testA", "testB"), each reported as accuracy/<split>.
  std::string eval_split;
  std::vector<std::pair<std::string, std::vector<GroundingExample>>> more_evals;
};

bool IsGroundingDataset(const std::string& dataset);  // fashion-ref*, refexp:*

// Errors name the dataset and what is wrong (files, sampling: e.g. too few examples of a class).
Result<ClassificationTask> LoadClassificationTask(const std::string& dataset,
                                                  const FewShotSpec& spec,
                                                  const TaskDataOptions& options);
Result<GroundingTask> LoadGroundingTask(const std::string& dataset, const FewShotSpec& spec,
                                        const TaskDataOptions& options);

}  // namespace chromatune::datasets
