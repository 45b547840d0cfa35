#include "datasets/sources/fewshot.h"

#include <algorithm>
#include <numeric>

#include "datasets/rng.h"

namespace chromatune::datasets {

Status CheckShots(const std::vector<std::string>& classes, const std::vector<int64_t>& train_counts,
                  int64_t shots, ShotUnit unit, const std::string& noun) {
  if (shots <= 0) return Status::Ok();
  if (unit == ShotUnit::kTotal) {
    const int64_t total = std::accumulate(train_counts.begin(), train_counts.end(), int64_t{0});
    if (shots > total) {
      return InvalidArgument(std::to_string(shots) + " in total, but train has only " +
                             std::to_string(total) + " " + noun);
    }
    return Status::Ok();
  }
  size_t fewest = 0;
  int64_t short_classes = 0;
  for (size_t c = 0; c < train_counts.size(); ++c) {
    if (train_counts[c] < train_counts[fewest]) fewest = c;
    if (train_counts[c] < shots) ++short_classes;
  }
  if (short_classes == 0) return Status::Ok();
  std::string message = std::to_string(shots) + " per class, but class \"" + classes[fewest] +
                        "\" has only " + std::to_string(train_counts[fewest]) + " train " + noun;
  if (short_classes > 1) {
    message += " (" + std::to_string(short_classes - 1) + " more " +
               (short_classes == 2 ? "class has" : "classes have") + " fewer than " +
               std::to_string(shots) + ")";
  }
  return InvalidArgument(message);
}

Result<FewShotDraw> SampleFewShot(const DatasetManifest& manifest, const FewShotSpec& spec,
                                  const std::vector<std::string>& eval_splits) {
  const int classes = static_cast<int>(manifest.classes.size());
  Status checked =
      CheckShots(manifest.classes, manifest.ClassCounts(kTrainSplit), spec.shots, spec.unit);
  if (!checked.ok()) return checked.WithContext("dataset " + manifest.source + ": shots");
  FewShotDraw draw;
  CT_ASSIGN_OR_RETURN(draw.train, SampleSupport(manifest.Labels(kTrainSplit), classes, spec));
  const bool val_evaluated =
      std::find(eval_splits.begin(), eval_splits.end(), kValSplit) != eval_splits.end();
  if (spec.shots > 0 && !val_evaluated && !manifest.Split(kValSplit).empty()) {
    FewShotSpec val;
    val.shots = std::min(spec.shots, kMaxValShotsPerClass);
    val.unit = ShotUnit::kPerClass;
    val.data_seed = MixSeed(kValShotsStream, spec.data_seed);
    CT_ASSIGN_OR_RETURN(draw.val, SampleSupportUpTo(manifest.Labels(kValSplit), classes, val));
  }
  return draw;
}

}  // namespace chromatune::datasets
