// Checkpoints of the builtin backbones: a directory with
//   weights.pt   every parameter and buffer by its module path (torch::serialize archive)
//   spec.json    {"format": "chromatune-checkpoint-1", "spec": PretrainSpec::CanonicalJson,
//                 "hash": spec hash, "vocabulary": [words...], "training": {...}}
// Written into a temporary sibling directory and renamed into place, so a reader never sees
// a half-written checkpoint; when two processes race on the same spec the first rename wins
// and the other's copy is discarded (both are equal up to float reduction order).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "experiments/models/pretrain.h"

namespace chromatune::models {

inline constexpr const char* kCheckpointFormat = "chromatune-checkpoint-1";

// Writes `model` (dual or fusion set) with `spec` to `dir` (must not exist; its parent is
// created). `training` is stored as given (steps/s, seconds, final loss, ...).
Status SaveCheckpoint(const std::string& dir, const PretrainSpec& spec,
                      const PretrainedModel& model, const nlohmann::json& training);

// Reads a checkpoint directory. Errors: missing directory or file (kNotFound naming it),
// unparsable or inconsistent contents (kCorruption naming the file and the field).
Result<PretrainedModel> LoadCheckpoint(const std::string& dir, PretrainSpec* spec = nullptr);

// cache_dir/<spec hash>: one checkpoint serves every rank count, since pretraining over R
// ranks trains the 1-rank model up to floating point (pretrain.cc: the losses see the global
// batch; PretrainTest.TwoRanksTrainTheOneRankModel).
std::string CheckpointDir(const std::string& cache_dir, const PretrainSpec& spec);

}  // namespace chromatune::models
