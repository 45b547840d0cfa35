#include "datasets/fashion_ref.h"

#include <algorithm>
#include <numeric>

#include "datasets/captions.h"
#include "datasets/rng.h"

namespace chromatune::datasets {

namespace {

constexpr float kMaxItemIoU = 0.1f;
constexpr float kMaxDistractorIoU = 0.2f;
constexpr int kRelationalLayouts = 100;

// The half of the test split a pool draws from: kEval [0, n/2), kSupport [n/2, n).
int64_t PoolBegin(const FashionMnist& test, FashionRefPool pool) {
  return pool == FashionRefPool::kEval ? 0 : test.count / 2;
}
int64_t PoolEnd(const FashionMnist& test, FashionRefPool pool) {
  return pool == FashionRefPool::kEval ? test.count / 2 : test.count;
}

int64_t DrawItemOfClass(Rng* rng, const FashionMnist& test, FashionRefPool pool, int label) {
  for (;;) {  // classes are ~10% each, so about 10 draws
    const int64_t i = rng->UniformInt(PoolBegin(test, pool), PoolEnd(test, pool) - 1);
    if (test.labels[i] == label) return i;
  }
}

// Item sides for the domain (kShift: 13..17 at 56 pixels, scaled with the canvas).
void ItemSizeRange(const FashionRefOptions& o, int* lo, int* hi) {
  if (o.domain == Domain::kPlain) {
    *lo = o.min_item_size;
    *hi = o.max_item_size;
    return;
  }
  *lo = std::max(6, 13 * o.canvas_size / 56);
  *hi = std::max(*lo, 17 * o.canvas_size / 56);
}

std::vector<Box> PlaceItems(Rng* rng, const FashionRefOptions& o) {
  int lo, hi;
  ItemSizeRange(o, &lo, &hi);
  std::vector<int> sizes(static_cast<size_t>(o.num_items));
  for (int& s : sizes) s = static_cast<int>(rng->UniformInt(lo, hi));
  std::vector<Box> boxes;
  while (!PlaceBoxes(rng, o.canvas_size, sizes, kMaxItemIoU, &boxes)) {
    for (int& s : sizes) s = std::max(6, s - 2);
  }
  return boxes;
}

// A distractor: an item-sized square overlapping every other proposal by IoU <= 0.2 (the bound
// grows by 0.1 after each 200 failed tries, so crowded canvases still get one).
Box PlaceDistractor(Rng* rng, const FashionRefOptions& o, const std::vector<Box>& taken) {
  int lo, hi;
  ItemSizeRange(o, &lo, &hi);
  for (float bound = kMaxDistractorIoU;; bound += 0.1f) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int s = static_cast<int>(rng->UniformInt(lo, hi));
      const float x = static_cast<float>(rng->UniformInt(0, o.canvas_size - s));
      const float y = static_cast<float>(rng->UniformInt(0, o.canvas_size - s));
      const Box b{x, y, x + static_cast<float>(s), y + static_cast<float>(s)};
      bool ok = true;
      for (const Box& t : taken) ok = ok && IoU(b, t) <= bound;
      if (ok) return b;
    }
  }
}

GroundingExample ComposeExample(const FashionMnist& test, FashionRefPool pool, int64_t index,
                                const FashionRefOptions& o) {
  Rng rng(MixSeed(o.seed, static_cast<uint64_t>(pool), static_cast<uint64_t>(index)));
  const int n = o.num_items;
  // Classes: n distinct ones; a relational example makes item 1 a twin of the target (item 0).
  std::vector<int> classes(kFashionClasses);
  std::iota(classes.begin(), classes.end(), 0);
  rng.Shuffle(&classes);
  std::vector<int> labels(classes.begin(), classes.begin() + n);
  const bool relational = rng.Bernoulli(o.relational_fraction);
  if (relational) labels[1] = labels[0];

  std::vector<Box> boxes = PlaceItems(&rng, o);
  std::string query;
  if (relational) {
    for (int attempt = 0; attempt < kRelationalLayouts && query.empty(); ++attempt) {
      if (attempt > 0) boxes = PlaceItems(&rng, o);
      query = UniqueQuery(labels, boxes, 0, /*want_relational=*/true, rng.Next());
    }
    if (query.empty()) {  // no layout allowed a unique relation: drop the twin
      labels[1] = classes[static_cast<size_t>(n)];
    }
  }
  if (query.empty()) query = ReferringExpression(labels[0]);

  GroundingExample ex;
  ex.id = index;
  ex.query = query;
  ex.target_label = labels[0];
  Image image(o.canvas_size, o.canvas_size, 3);
  if (o.domain == Domain::kPlain) {
    image = Image::Filled(o.canvas_size, o.canvas_size, PlainBackground(&rng));
  } else {
    FillShiftBackground(&image, &rng);
  }
  std::vector<Mask> masks;
  for (int i = 0; i < n; ++i) {
    SceneItem item;
    item.source_index = DrawItemOfClass(&rng, test, pool, labels[i]);
    item.label = labels[i];
    item.box = boxes[i];
    float contrast = 1.0f;
    if (o.domain == Domain::kPlain) {
      item.tint = PlainTint(&rng);
    } else {
      item.tint = ShiftInk(&rng);
      contrast = ShiftContrast(&rng);
    }
    PasteItem(&image, test.item(item.source_index), item, contrast);
    masks.push_back(ItemMask(test.item(item.source_index), item.box, o.canvas_size, o.canvas_size));
  }
  ex.image = std::move(image);

  std::vector<Box> proposals = boxes;
  std::vector<int> proposal_labels = labels;
  for (int d = 0; d < o.num_distractors; ++d) {
    const Box b = PlaceDistractor(&rng, o, proposals);
    proposals.push_back(b);
    proposal_labels.push_back(-1);
    masks.push_back(BoxMask(b, o.canvas_size, o.canvas_size));
  }
  std::vector<int> order(proposals.size());
  std::iota(order.begin(), order.end(), 0);
  rng.Shuffle(&order);
  for (size_t k = 0; k < order.size(); ++k) {
    const int p = order[k];
    ex.proposals.push_back(proposals[p]);
    ex.proposal_labels.push_back(proposal_labels[p]);
    ex.proposal_masks.push_back(std::move(masks[p]));
    if (p == 0) ex.target = static_cast<int>(k);
  }
  return ex;
}

}  // namespace

Status ValidateFashionRefOptions(const FashionRefOptions& o) {
  auto bad = [](const std::string& field, const std::string& why) {
    return InvalidArgument("fashion-ref option " + field + ": " + why);
  };
  if (o.canvas_size < 32 || o.canvas_size > 1024) return bad("canvas_size", "must be 32..1024");
  if (o.num_items < 2 || o.num_items > 5) return bad("num_items", "must be 2..5");
  if (o.num_distractors < 0 || o.num_distractors > 4) return bad("num_distractors", "must be 0..4");
  if (o.min_item_size < 6 || o.min_item_size > o.max_item_size) {
    return bad("min_item_size/max_item_size", "need 6 <= min_item_size <= max_item_size");
  }
  if (o.max_item_size * 2 > o.canvas_size) {
    return bad("max_item_size", "items must be at most half the canvas_size");
  }
  if (!(o.relational_fraction >= 0.0f && o.relational_fraction <= 1.0f)) {
    return bad("relational_fraction", "must be within [0, 1]");
  }
  if (o.relational_fraction > 0 && o.num_items < 3) {
    return bad("relational_fraction", "relational expressions need num_items >= 3");
  }
  return Status::Ok();
}

std::vector<GroundingExample> ComposeFashionRef(const FashionMnist& test, FashionRefPool pool,
                                                int64_t size, const FashionRefOptions& options) {
  std::vector<GroundingExample> out;
  out.reserve(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) out.push_back(ComposeExample(test, pool, i, options));
  return out;
}

Result<std::vector<GroundingExample>> MakeFashionRef(FashionRefPool pool, int64_t size,
                                                     const FashionRefOptions& options) {
  CT_RETURN_IF_ERROR(ValidateFashionRefOptions(options));
  if (size < 0) return InvalidArgument("fashion-ref: size must be >= 0");
  CT_ASSIGN_OR_RETURN(auto test, LoadFashionMnist(FashionSplit::kTest, options.fashion_dir));
  // Every class must occur in the pool's half (always so for the real test split).
  std::vector<int64_t> per_class(kFashionClasses, 0);
  for (int64_t i = PoolBegin(*test, pool); i < PoolEnd(*test, pool); ++i)
    ++per_class[test->labels[i]];
  for (int c = 0; c < kFashionClasses; ++c) {
    if (per_class[c] == 0) {
      return FailedPrecondition("fashion-ref: the test split's " +
                                std::string(pool == FashionRefPool::kEval ? "first" : "second") +
                                " half has no item of class " + std::to_string(c) + " (" +
                                FashionClassWords()[c] + ")");
    }
  }
  return ComposeFashionRef(*test, pool, size, options);
}

}  // namespace chromatune::datasets
