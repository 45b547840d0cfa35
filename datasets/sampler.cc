#include "datasets/sampler.h"

#include <algorithm>
#include <cassert>

#include "datasets/rng.h"

namespace chromatune::datasets {

namespace {
// Separates the sampler's streams from every other user of a data seed.
constexpr uint64_t kSupportStream = 0x5eed5a3b1e;

Result<std::vector<std::vector<int64_t>>> ByClass(const std::vector<int>& labels, int num_classes) {
  if (num_classes < 1) return InvalidArgument("sampler: num_classes must be >= 1");
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      return InvalidArgument("sampler: label of item " + std::to_string(i) + " is " +
                             std::to_string(labels[i]) + ", outside 0.." +
                             std::to_string(num_classes - 1));
    }
    by_class[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  return by_class;
}
}  // namespace

const char* ShotUnitName(ShotUnit unit) {
  return unit == ShotUnit::kPerClass ? "per_class" : "total";
}

Result<ShotUnit> ParseShotUnit(const std::string& text) {
  if (text == "per_class") return ShotUnit::kPerClass;
  if (text == "total") return ShotUnit::kTotal;
  return InvalidArgument("shot_unit: \"" + text + "\" is not one of per_class, total");
}

namespace {

Result<std::vector<int64_t>> Sample(const std::vector<int>& labels, int num_classes,
                                    const FewShotSpec& spec, bool fewer_ok) {
  if (spec.shots < 0)
    return InvalidArgument("shots: must be >= 0, got " + std::to_string(spec.shots));
  CT_ASSIGN_OR_RETURN(auto by_class, ByClass(labels, num_classes));
  std::vector<int64_t> out;
  if (spec.unit == ShotUnit::kTotal) {
    if (static_cast<size_t>(spec.shots) > labels.size()) {
      return InvalidArgument("shots: " + std::to_string(spec.shots) +
                             " in total but the pool has " + std::to_string(labels.size()) +
                             " examples");
    }
    // A partial Fisher-Yates: the first K of one seeded permutation (so K-shot sets nest).
    std::vector<int64_t> all(labels.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    Rng rng(MixSeed(kSupportStream, spec.data_seed, /*total=*/0xffffffffULL));
    for (int k = 0; k < spec.shots; ++k) {
      const int64_t j = rng.UniformInt(k, static_cast<int64_t>(all.size()) - 1);
      std::swap(all[static_cast<size_t>(k)], all[static_cast<size_t>(j)]);
      out.push_back(all[static_cast<size_t>(k)]);
    }
    return out;
  }
  for (int c = 0; c < num_classes; ++c) {
    std::vector<int64_t>& members = by_class[static_cast<size_t>(c)];
    const int take = fewer_ok ? std::min(spec.shots, static_cast<int>(members.size())) : spec.shots;
    if (static_cast<size_t>(take) > members.size()) {
      return InvalidArgument("shots: " + std::to_string(spec.shots) + " per class but class " +
                             std::to_string(c) + " has only " + std::to_string(members.size()) +
                             " examples");
    }
    Rng rng(MixSeed(kSupportStream, spec.data_seed, static_cast<uint64_t>(c)));
    for (int k = 0; k < take; ++k) {
      const int64_t j = rng.UniformInt(k, static_cast<int64_t>(members.size()) - 1);
      std::swap(members[static_cast<size_t>(k)], members[static_cast<size_t>(j)]);
      out.push_back(members[static_cast<size_t>(k)]);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<int64_t>> SampleSupport(const std::vector<int>& labels, int num_classes,
                                           const FewShotSpec& spec) {
  return Sample(labels, num_classes, spec, /*fewer_ok=*/false);
}

Result<std::vector<int64_t>> SampleSupportUpTo(const std::vector<int>& labels, int num_classes,
                                               const FewShotSpec& spec) {
  if (spec.unit != ShotUnit::kPerClass) {
    return InvalidArgument("SampleSupportUpTo: only for shot_unit per_class");
  }
  return Sample(labels, num_classes, spec, /*fewer_ok=*/true);
}

std::vector<int64_t> EvaluationSubset(const std::vector<int>& labels, int num_classes,
                                      int64_t count, uint64_t seed) {
  if (count >= static_cast<int64_t>(labels.size())) {
    std::vector<int64_t> all(labels.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    return all;
  }
  // Round-robin over the classes' seeded permutations: as equal per class as the pool allows.
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    assert(labels[i] >= 0 && labels[i] < num_classes);
    by_class[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  for (size_t c = 0; c < by_class.size(); ++c) {
    Rng rng(MixSeed(seed, c));
    rng.Shuffle(&by_class[c]);
  }
  std::vector<int64_t> out;
  for (size_t round = 0; static_cast<int64_t>(out.size()) < count; ++round) {
    for (size_t c = 0; c < by_class.size() && static_cast<int64_t>(out.size()) < count; ++c) {
      if (round < by_class[c].size()) out.push_back(by_class[c][round]);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace chromatune::datasets
