// CoOp's few-shot rule for users' classification sources (imagefolder:, csv:, coop-split:):
// for each data seed, K examples per class from "train" (the support set) and min(K, 4) per
// class from "val" (the few-shot validation set that tunes and stops training), identical for
// every method, backbone and train seed with that data seed, so results are paired.
//
// Both draws go through the sampler (sampler.h: SampleSupport for train, SampleSupportUpTo for
// val) with its per-class seeded permutations:
// train with the data seed itself, val with MixSeed(kValShotsStream, data_seed). Consequences
// (docs/data.md): train sets nest across K (the 2-shot set is inside the 8-shot set); val
// sets nest for K = 1, 2, 4 and are the same 4-per-class set for every K >= 4. CoOp's own
// code draws each K afresh (random.sample), so its sets do not nest: the rule is CoOp's, the
// draws are not bit-identical to CoOp's.
//
// A class with fewer than min(K, 4) val examples gives all it has. No val shots are drawn
// when the manifest has no "val" split, or when "val" is evaluated (ImageNet's layout, where
// val/ is the evaluation set): the support and validation pools never touch evaluation data.
// With shot_unit total, train gives K examples in all and val min(K, 4) per class as above.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/sampler.h"
#include "datasets/sources/manifest.h"

namespace chromatune::datasets {

inline constexpr int kMaxValShotsPerClass = 4;
// Separates the val draw from the train draw of the same data seed.
inline constexpr uint64_t kValShotsStream = 0x7a15b0075eedULL;

struct FewShotDraw {
  std::vector<int64_t> train;  // indices into manifest.Split("train")
  std::vector<int64_t> val;    // indices into manifest.Split("val")
};

// The draw for `spec`. Errors as CheckShots, naming the manifest's source.
Result<FewShotDraw> SampleFewShot(const DatasetManifest& manifest, const FewShotSpec& spec,
                                  const std::vector<std::string>& eval_splits);

// Whether `shots` can be drawn from a train split with `train_counts` examples per class
// (`classes` names them): per_class needs K of every class, total K in all. The error names
// the class and both counts, e.g. `16 per class, but class "dog" has only 5 train images`;
// `noun` is what the items are ("images", "expressions").
Status CheckShots(const std::vector<std::string>& classes, const std::vector<int64_t>& train_counts,
                  int64_t shots, ShotUnit unit, const std::string& noun = "images");

}  // namespace chromatune::datasets
