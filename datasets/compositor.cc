#include "datasets/compositor.h"

#include <algorithm>
#include <cmath>

#include "datasets/captions.h"
#include "datasets/colors.h"
#include "datasets/fashion_pools.h"

namespace chromatune::datasets {

namespace {

constexpr float kMaxItemIoU = 0.15f;
constexpr int kColourJitter = 20;

uint8_t ClampToByte(int64_t v) { return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255)); }

// A scene: items and layout, before any block.
struct Layout {
  Rgb background;
  std::vector<SceneItem> items;
};

// Draws n items, placed without much overlap; when `distinct_pair` the scene is guaranteed
// two items of different classes (hard-negative pairs need them).
Layout DrawLayout(Rng* rng, const FashionMnist& train, const std::vector<int64_t>& pool, int n,
                  bool distinct_pair, const CompositorOptions& o) {
  const int64_t last = static_cast<int64_t>(pool.size()) - 1;
  Layout layout;
  layout.background = PlainBackground(rng);
  std::vector<int> sizes(n);
  for (int& s : sizes) s = static_cast<int>(rng->UniformInt(o.min_item_size, o.max_item_size));
  std::vector<Box> boxes;
  // Shrink every side by 2 until the items fit; terminates because validated options allow
  // 8-pixel items in a canvas of at least 8 * max_items, where random layouts fit often.
  while (!PlaceBoxes(rng, o.canvas_size, sizes, kMaxItemIoU, &boxes)) {
    for (int& s : sizes) s = std::max(8, s - 2);
  }
  for (int i = 0; i < n; ++i) {
    SceneItem item;
    item.source_index = pool[static_cast<size_t>(rng->UniformInt(0, last))];
    item.label = train.labels[item.source_index];
    item.box = boxes[i];
    item.tint = PlainTint(rng);
    layout.items.push_back(item);
  }
  if (distinct_pair) {
    // Redraw the last item until its class differs from the first's.
    while (layout.items.back().label == layout.items.front().label) {
      SceneItem& last_item = layout.items.back();
      last_item.source_index = pool[static_cast<size_t>(rng->UniformInt(0, last))];
      last_item.label = train.labels[last_item.source_index];
    }
  }
  return layout;
}

Image Render(const FashionMnist& train, const Layout& layout, int canvas) {
  Image image = Image::Filled(canvas, canvas, layout.background);
  for (const SceneItem& item : layout.items) {
    PasteItem(&image, train.item(item.source_index), item);
  }
  return image;
}

// The example at position i of a batch; pairs share their scene seed (the pair's first
// position) and differ in `member` only.
CaptionExample ComposeExample(const FashionMnist& train, const std::vector<int64_t>& pool,
                              uint64_t seed, int64_t batch_index, int i, int pair_count,
                              bool single, const CompositorOptions& o) {
  const bool in_pair = i < 2 * pair_count;
  const int member = in_pair ? i % 2 : 0;
  const int scene_position = in_pair ? i - member : i;
  Rng rng(MixSeed(seed, static_cast<uint64_t>(batch_index), static_cast<uint64_t>(scene_position)));

  const int lo = in_pair ? std::max(2, o.min_items) : o.min_items;
  const int n = single ? 1 : static_cast<int>(rng.UniformInt(lo, std::max(lo, o.max_items)));
  const Layout layout = DrawLayout(&rng, train, pool, n, in_pair, o);
  std::vector<int> labels;
  std::vector<Box> boxes;
  for (const SceneItem& item : layout.items) {
    labels.push_back(item.label);
    boxes.push_back(item.box);
  }

  // Block decisions, drawn identically for both members of a pair.
  bool has_block = !single && (in_pair || rng.Bernoulli(o.block_probability));
  int marked_a = static_cast<int>(rng.UniformInt(0, n - 1));
  int marked_b = marked_a;
  if (in_pair) {
    auto other_classes = [&](int t) {
      std::vector<int> out;
      for (int j = 0; j < n; ++j) {
        if (labels[j] != labels[t]) out.push_back(j);
      }
      return out;
    };
    std::vector<int> others = other_classes(marked_a);
    if (others.empty()) {  // item 0 always has a partner of another class (DrawLayout)
      marked_a = 0;
      others = other_classes(0);
    }
    marked_b =
        others[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(others.size()) - 1))];
  }
  const auto& palette = BlockPalette();
  const NamedColor colour =
      palette[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(palette.size()) - 1))];
  const Rgb rgb{ClampToByte(colour.rgb.r + rng.UniformInt(-kColourJitter, kColourJitter)),
                ClampToByte(colour.rgb.g + rng.UniformInt(-kColourJitter, kColourJitter)),
                ClampToByte(colour.rgb.b + rng.UniformInt(-kColourJitter, kColourJitter))};
  const float alpha = rng.UniformFloat(o.min_alpha, o.max_alpha);
  const bool as_mask = rng.Bernoulli(o.mask_probability);
  const CaptionChoice choice = CaptionChoice::Draw(&rng);

  CaptionExample ex;
  ex.image = Render(train, layout, o.canvas_size);
  ex.items = layout.items;
  if (in_pair) ex.partner = member == 0 ? i + 1 : i - 1;
  if (!has_block) {
    ex.caption = SceneCaption(&rng, labels, boxes);
    return ex;
  }
  const int marked = member == 0 ? marked_a : marked_b;
  const SceneItem& item = layout.items[marked];
  if (as_mask) {
    BlendMask(&ex.image,
              ItemMask(train.item(item.source_index), item.box, o.canvas_size, o.canvas_size), rgb,
              alpha);
  } else {
    BlendBox(&ex.image, item.box, rgb, alpha);
  }
  ex.block_item = marked;
  ex.block_colour = colour.name;
  ex.block_is_mask = as_mask;
  ex.block_alpha = alpha;
  // A pair uses query templates only when both members have a query, so both captions always
  // share their template.
  const bool allow_query =
      !in_pair || (!choice.Query(labels, boxes, marked_a, o.relational_probability).empty() &&
                   !choice.Query(labels, boxes, marked_b, o.relational_probability).empty());
  ex.caption = BlockCaption(labels, boxes, marked, colour.name, o.relational_probability, choice,
                            allow_query);
  return ex;
}

}  // namespace

Status ValidateCompositorOptions(const CompositorOptions& o) {
  auto bad = [](const std::string& field, const std::string& why) {
    return InvalidArgument("compositor option " + field + ": " + why);
  };
  if (o.canvas_size < 16 || o.canvas_size > 1024) return bad("canvas_size", "must be 16..1024");
  if (o.min_items < 1 || o.min_items > o.max_items || o.max_items > 6) {
    return bad("min_items/max_items", "need 1 <= min_items <= max_items <= 6");
  }
  if (o.min_item_size < 8 || o.min_item_size > o.max_item_size) {
    return bad("min_item_size/max_item_size", "need 8 <= min_item_size <= max_item_size");
  }
  if (o.max_item_size > o.canvas_size) return bad("max_item_size", "larger than canvas_size");
  if (o.max_items * 8 > o.canvas_size) return bad("max_items", "too many items for canvas_size");
  for (auto [name, p] : {std::pair<const char*, float>{"block_probability", o.block_probability},
                         {"mask_probability", o.mask_probability},
                         {"hard_negative_fraction", o.hard_negative_fraction},
                         {"relational_probability", o.relational_probability}}) {
    if (!(p >= 0.0f && p <= 1.0f)) return bad(name, "must be within [0, 1]");
  }
  if (!(o.min_alpha >= 0.0f && o.min_alpha <= o.max_alpha && o.max_alpha <= 1.0f)) {
    return bad("min_alpha/max_alpha", "need 0 <= min_alpha <= max_alpha <= 1");
  }
  if (!(o.single_item_fraction >= 0.0f && o.single_item_fraction <= 1.0f)) {
    return bad("single_item_fraction", "must be within [0, 1]");
  }
  if (o.hard_negative_fraction + o.single_item_fraction > 1.0f) {
    return bad("single_item_fraction", "hard_negative_fraction + single_item_fraction exceeds 1");
  }
  if (o.hard_negative_fraction > 0 && o.max_items < 2) {
    return bad("hard_negative_fraction", "hard-negative pairs need max_items >= 2");
  }
  return Status::Ok();
}

CaptionBatch ComposeCaptionBatch(const FashionMnist& train, uint64_t seed, int64_t batch_index,
                                 int batch_size, const CompositorOptions& options, int begin,
                                 int end) {
  if (end < 0) end = batch_size;
  const int pair_count = static_cast<int>(options.hard_negative_fraction * batch_size) / 2;
  const int singles = std::min(batch_size - 2 * pair_count,
                               static_cast<int>(std::lround(options.single_item_fraction *
                                                            static_cast<double>(batch_size))));
  const int first_single = batch_size - singles;
  // Items come from the pretraining pool only (fashion_pools.h); one pass over the labels,
  // ~0.05 ms against ~3 ms for composing a batch of 128.
  const std::vector<int64_t> pool = MakeFashionTrainPools(train.labels).pretrain;
  CaptionBatch batch;
  batch.examples.reserve(static_cast<size_t>(end - begin));
  for (int i = begin; i < end; ++i) {
    batch.examples.push_back(
        ComposeExample(train, pool, seed, batch_index, i, pair_count, i >= first_single, options));
  }
  return batch;
}

Result<CaptionBatch> MakeCaptionBatch(uint64_t seed, int64_t batch_index, int batch_size,
                                      const CompositorOptions& options, int begin, int end) {
  CT_RETURN_IF_ERROR(ValidateCompositorOptions(options));
  if (batch_size < 1) return InvalidArgument("caption batch: batch_size must be >= 1");
  if (end < 0) end = batch_size;
  if (begin < 0 || begin > end || end > batch_size) {
    return InvalidArgument("caption batch: need 0 <= begin <= end <= batch_size");
  }
  CT_ASSIGN_OR_RETURN(auto train, LoadFashionMnist(FashionSplit::kTrain, options.fashion_dir));
  return ComposeCaptionBatch(*train, seed, batch_index, batch_size, options, begin, end);
}

}  // namespace chromatune::datasets
