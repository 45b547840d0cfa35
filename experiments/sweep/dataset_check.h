// The plan's checks of a users' dataset (imagefolder:, csv:, coop-split:, refexp:) against
// the sweep, and the dataset options its trials receive.
//
// Reads the dataset's summary (datasets/sources/summary.h: the manifest parsed and every
// listed image stat'ed, no image decoded; cached per process) and checks what `sweep
// validate` can check cheaply:
//   - the manifest reads (a missing root, an empty class, a label out of range or without a
//     name, a path listed twice, an unknown split in a CSV, a missing image: the reader's
//     error, naming the file or class);
//   - every `eval.split` exists in the dataset and is not "train" (the support pool);
//   - (CheckDatasetShots) every shot count that a planned trial trains with can be drawn:
//     per_class needs K
//     train items of every class ("shots: 16 per class, but class \"dog\" has only 5 train
//     images (csv:/d/pets.csv)"), total needs K in all.
// Every message is "ORIGIN:LINE:COL: FIELD: ..." at the `dataset` (or `shots`) field.
//
// Returns the options as trials receive them (plan item "dataset_options"): for users'
// datasets eval.split resolved to the dataset's default (test; val for ImageNet's layout;
// every split but train for refexp:) and eval.size to all when the sweep leaves them out;
// builtin datasets' options are returned as the spec has them.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "datasets/sources/dataset_options.h"
#include "experiments/sweep/spec.h"

namespace chromatune {

Result<datasets::DatasetOptions> CheckDataset(const SweepSpec& spec);

// `shots`: the shot counts of the planned trials (0 and repeats are fine). OK for builtin
// datasets.
Status CheckDatasetShots(const SweepSpec& spec, const std::vector<int64_t>& shots);

}  // namespace chromatune
