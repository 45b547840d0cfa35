// The three pools of Fashion-MNIST's TRAIN split, so that nothing a study chooses or trains on
// few-shot was seen in pretraining, and the TEST split is for reporting only (issue 20):
//   pretrain  the images the builtin backbones are pretrained on (compositor.h);
//   val       the validation pool: recipe choice, early stopping, search objectives, the
//             `val` evaluation split and CoOp's min(K, 4) few-shot validation shots;
//   support   the pool few-shot support sets are drawn from; the backbone never saw them.
// Rule, per class, over the class's items in index order (a pure function of the labels):
// the last floor(n / 6) items are support, the floor(n / 30) before them val, the rest
// pretrain. Fashion-MNIST's 6,000 items per class give 4,800 / 200 / 1,000, so the pools hold
// 48,000 / 2,000 / 10,000 images, each balanced across the 10 classes. Each pool lists train
// indices in ascending order.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/fashion_mnist.h"

namespace chromatune::datasets {

enum class FashionPool { kPretrain, kVal, kSupport };
const char* FashionPoolName(FashionPool pool);  // "pretrain" / "val" / "support"

struct FashionTrainPools {
  std::vector<int64_t> pretrain, val, support;  // train indices, ascending

  const std::vector<int64_t>& Of(FashionPool pool) const;
};

// The pools of a train split with these labels (each 0..kFashionClasses-1).
FashionTrainPools MakeFashionTrainPools(const std::vector<uint8_t>& labels);

// The labels of `indices` as ints (what the samplers take).
std::vector<int> PoolLabels(const FashionMnist& split, const std::vector<int64_t>& indices);

}  // namespace chromatune::datasets
