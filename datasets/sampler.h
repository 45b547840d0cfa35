// Few-shot support sampling and the fixed evaluation subset.
//
// The support set is a function of (pool labels, shots, unit, data_seed) ONLY: every method,
// backbone and train_seed with the same data_seed gets the identical support set, so results
// are paired. Sets are nested: with the same data_seed, the K-shot set is contained in the
// 2K-shot set (each class's seeded permutation is cut at K).
//   kPerClass ("per_class", CoOp): K examples of every class 0..num_classes-1, returned class
//             by class (class 0's K first); a class with fewer than K examples is an error.
//   kTotal    ("total", CPT): K examples drawn without replacement from the whole pool,
//             returned in draw order; K larger than the pool is an error.
// K = 0 gives an empty set (zero-shot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::datasets {

enum class ShotUnit { kPerClass, kTotal };
const char* ShotUnitName(ShotUnit unit);  // "per_class" / "total"
// Parses "per_class" or "total"; anything else → kInvalidArgument naming field "shot_unit".
Result<ShotUnit> ParseShotUnit(const std::string& text);

struct FewShotSpec {
  int shots = 0;
  ShotUnit unit = ShotUnit::kPerClass;
  uint64_t data_seed = 0;
};

// Indices into `labels` (each label in 0..num_classes-1, else kInvalidArgument) forming the
// support set described above.
Result<std::vector<int64_t>> SampleSupport(const std::vector<int>& labels, int num_classes,
                                           const FewShotSpec& spec);

// SampleSupport for kPerClass where a class with fewer than K examples gives all it has
// instead of an error (CoOp's min(K, 4) validation shots per class: sources/fewshot.h).
// Each class's examples are the same prefix of the same permutation as in SampleSupport.
Result<std::vector<int64_t>> SampleSupportUpTo(const std::vector<int>& labels, int num_classes,
                                               const FewShotSpec& spec);

// The evaluation subset: 2,000 items by default, as equal per class as the pool allows
// (200 per class for Fashion-MNIST's 10 classes), drawn with the fixed seed kEvalSeed and
// returned in ascending index order. Requires every label in 0..num_classes-1 (asserted). The same
// for every trial, so a trial on 2 cores evaluates in seconds. count >= pool size returns the whole
// pool.
inline constexpr int64_t kDefaultEvalSize = 2000;
inline constexpr uint64_t kEvalSeed = 20211;
std::vector<int64_t> EvaluationSubset(const std::vector<int>& labels, int num_classes,
                                      int64_t count = kDefaultEvalSize, uint64_t seed = kEvalSeed);

}  // namespace chromatune::datasets
