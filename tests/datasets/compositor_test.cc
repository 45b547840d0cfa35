#include "datasets/compositor.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "datasets/captions.h"
#include "datasets/colors.h"

namespace chromatune::datasets {
namespace {

std::shared_ptr<const FashionMnist> Train() {
  auto train = LoadFashionMnist(FashionSplit::kTrain);
  EXPECT_TRUE(train.ok()) << train.status().ToString();
  return train.ok() ? *train : nullptr;
}

TEST(CompositorTest, DeterministicForSeedAndIndex) {
  CompositorOptions o;
  auto a = MakeCaptionBatch(3, 5, 32, o);
  auto b = MakeCaptionBatch(3, 5, 32, o);
  auto c = MakeCaptionBatch(3, 6, 32, o);
  auto d = MakeCaptionBatch(4, 5, 32, o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok()) << a.status().ToString();
  ASSERT_EQ(a->examples.size(), 32u);
  int differ_index = 0, differ_seed = 0;
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(a->examples[i].image, b->examples[i].image);
    EXPECT_EQ(a->examples[i].caption, b->examples[i].caption);
    differ_index += a->examples[i].image != c->examples[i].image;
    differ_seed += a->examples[i].image != d->examples[i].image;
  }
  EXPECT_EQ(differ_index, 32);
  EXPECT_EQ(differ_seed, 32);
}

TEST(CompositorTest, SlicesAreTheSameExamplesAsTheFullBatch) {
  auto train = Train();
  ASSERT_TRUE(train);
  CompositorOptions o;
  const CaptionBatch full = ComposeCaptionBatch(*train, 9, 2, 16, o);
  const CaptionBatch slice = ComposeCaptionBatch(*train, 9, 2, 16, o, 6, 12);
  ASSERT_EQ(slice.examples.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(slice.examples[i].image, full.examples[6 + i].image);
    EXPECT_EQ(slice.examples[i].caption, full.examples[6 + i].caption);
    EXPECT_EQ(slice.examples[i].partner, full.examples[6 + i].partner);
  }
}

TEST(CompositorTest, ImagesAndItemsRespectTheOptions) {
  auto train = Train();
  ASSERT_TRUE(train);
  CompositorOptions o;
  o.canvas_size = 64;
  o.min_items = 2;
  o.max_items = 4;
  const CaptionBatch batch = ComposeCaptionBatch(*train, 1, 0, 64, o);
  for (const CaptionExample& ex : batch.examples) {
    EXPECT_EQ(ex.image.height, 64);
    EXPECT_EQ(ex.image.width, 64);
    EXPECT_EQ(ex.image.channels, 3);
    EXPECT_GE(ex.items.size(), 2u);
    EXPECT_LE(ex.items.size(), 4u);
    for (const SceneItem& item : ex.items) {
      EXPECT_LT(item.source_index, 60000);
      EXPECT_EQ(item.label, train->labels[item.source_index]);  // from the TRAIN split
      EXPECT_LE(item.box.width(), o.max_item_size);
      EXPECT_GE(item.box.x0, 0);
      EXPECT_LE(item.box.x1, 64);
    }
    EXPECT_FALSE(ex.caption.empty());
  }
}

TEST(CompositorTest, HardNegativePairsDifferOnlyInBlockPlacement) {
  auto train = Train();
  ASSERT_TRUE(train);
  CompositorOptions o;
  o.hard_negative_fraction = 0.5f;
  const int batch_size = 128;
  int pairs = 0;
  for (int64_t b = 0; b < 4; ++b) {
    const CaptionBatch batch = ComposeCaptionBatch(*train, 77, b, batch_size, o);
    for (int i = 0; i < batch_size; ++i) {
      const CaptionExample& ex = batch.examples[i];
      if (i >= 64) {
        EXPECT_EQ(ex.partner, -1) << i;
        continue;
      }
      ASSERT_EQ(ex.partner, i % 2 == 0 ? i + 1 : i - 1);
      if (i % 2 == 1) continue;
      ++pairs;
      const CaptionExample& other = batch.examples[i + 1];
      // Same scene: items, boxes, tints; same block colour, alpha, style.
      ASSERT_EQ(ex.items.size(), other.items.size());
      for (size_t k = 0; k < ex.items.size(); ++k) {
        EXPECT_EQ(ex.items[k].source_index, other.items[k].source_index);
        EXPECT_EQ(ex.items[k].tint, other.items[k].tint);
      }
      EXPECT_EQ(ex.block_colour, other.block_colour);
      EXPECT_FALSE(ex.block_colour.empty());
      EXPECT_EQ(ex.block_alpha, other.block_alpha);
      EXPECT_EQ(ex.block_is_mask, other.block_is_mask);
      // Blocks on two items of different classes.
      ASSERT_GE(ex.block_item, 0);
      ASSERT_GE(other.block_item, 0);
      EXPECT_NE(ex.items[ex.block_item].label, other.items[other.block_item].label);
      // Pixels differ only inside the two marked boxes.
      const PixelRect ra = ToPixelRect(ex.items[ex.block_item].box, 56, 56);
      const PixelRect rb = ToPixelRect(other.items[other.block_item].box, 56, 56);
      auto in = [](const PixelRect& r, int y, int x) {
        return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
      };
      int differing = 0;
      for (int y = 0; y < 56; ++y) {
        for (int x = 0; x < 56; ++x) {
          if (ex.image.rgb(y, x) != other.image.rgb(y, x)) {
            ++differing;
            EXPECT_TRUE(in(ra, y, x) || in(rb, y, x)) << "pixel " << y << "," << x;
          }
        }
      }
      EXPECT_GT(differing, 0);
      // Captions: same colour, each names its own marked item, same template.
      EXPECT_NE(ex.caption, other.caption);
      EXPECT_NE(ex.caption.find(ex.block_colour), std::string::npos) << ex.caption;
      EXPECT_NE(other.caption.find(ex.block_colour), std::string::npos) << other.caption;
      const bool cpt_a = ex.caption.find(" color") != std::string::npos;
      const bool cpt_b = other.caption.find(" color") != std::string::npos;
      EXPECT_EQ(cpt_a, cpt_b) << ex.caption << " / " << other.caption;
    }
  }
  EXPECT_EQ(pairs, 4 * 32);
}

TEST(CompositorTest, BlockCaptionsNameTheMarkedItem) {
  auto train = Train();
  ASSERT_TRUE(train);
  CompositorOptions o;
  o.hard_negative_fraction = 0.0f;
  o.block_probability = 1.0f;
  o.relational_probability = 0.0f;
  o.max_items = 1;
  const CaptionBatch batch = ComposeCaptionBatch(*train, 5, 0, 200, o);
  for (const CaptionExample& ex : batch.examples) {
    ASSERT_EQ(ex.block_item, 0);
    bool named = false;
    for (const std::string& w : ClassSynonyms(ex.items[0].label)) {
      std::istringstream words(ex.caption);
      std::string word;
      while (words >> word) named = named || word == w;
    }
    EXPECT_TRUE(named) << ex.caption;
    EXPECT_TRUE(FindColor(ex.block_colour).has_value());
    EXPECT_GE(ex.block_alpha, o.min_alpha);
    EXPECT_LE(ex.block_alpha, o.max_alpha);
  }
}

TEST(CompositorTest, EveryCaptionWordIsInTheVocabulary) {
  auto train = Train();
  ASSERT_TRUE(train);
  const std::vector<std::string> vocab = CaptionVocabulary();
  const std::set<std::string> words(vocab.begin(), vocab.end());
  CompositorOptions o;
  std::set<std::string> templates_seen;
  for (int64_t b = 0; b < 20; ++b) {
    for (const CaptionExample& ex : ComposeCaptionBatch(*train, 1, b, 128, o).examples) {
      std::istringstream in(ex.caption);
      std::string w;
      while (in >> w) EXPECT_TRUE(words.count(w)) << "'" << w << "' in: " << ex.caption;
      if (ex.caption.find(" left of the ") != std::string::npos)
        templates_seen.insert("relational");
      if (ex.caption.rfind("a photo of a ", 0) == 0) templates_seen.insert("photo");
      if (ex.block_is_mask) templates_seen.insert("mask");
    }
  }
  EXPECT_EQ(templates_seen.size(), 3u);
}

TEST(CompositorTest, SingleItemShareEndsTheBatchWithoutBlocks) {
  auto train = Train();
  ASSERT_TRUE(train);
  CompositorOptions o;
  o.single_item_fraction = 0.25f;  // 8 of 32, after 16 pair members and 8 regular examples
  const CaptionBatch batch = ComposeCaptionBatch(*train, 4, 1, 32, o);
  ASSERT_EQ(batch.examples.size(), 32u);
  int multi_item_before = 0;
  for (int i = 0; i < 32; ++i) {
    const CaptionExample& ex = batch.examples[i];
    if (i < 16) {
      EXPECT_GE(ex.partner, 0) << i;
    } else if (i < 24) {
      EXPECT_EQ(ex.partner, -1) << i;
      multi_item_before += ex.items.size() > 1;
    } else {
      EXPECT_EQ(ex.items.size(), 1u) << i;
      EXPECT_EQ(ex.block_item, -1) << i;
      EXPECT_EQ(ex.caption.find("color"), std::string::npos) << ex.caption;
      bool names_item = false;
      for (const std::string& w : ClassSynonyms(ex.items[0].label)) {
        names_item |= ex.caption.find(w) != std::string::npos;
      }
      EXPECT_TRUE(names_item) << ex.caption;
    }
  }
  EXPECT_GT(multi_item_before, 0);  // the regular part still draws 1..max_items items
  // The share is part of the batch's definition: a slice gives the same examples.
  const CaptionBatch tail = ComposeCaptionBatch(*train, 4, 1, 32, o, 24, 32);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(tail.examples[i].caption, batch.examples[24 + i].caption);
}

TEST(CompositorTest, InvalidOptionsNameTheField) {
  CompositorOptions o;
  o.max_items = 0;
  auto r = MakeCaptionBatch(1, 0, 8, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("min_items/max_items"), std::string::npos);
  o = CompositorOptions();
  o.block_probability = 1.5f;
  EXPECT_NE(ValidateCompositorOptions(o).message().find("block_probability"), std::string::npos);
  o = CompositorOptions();
  o.max_item_size = 80;
  EXPECT_NE(ValidateCompositorOptions(o).message().find("max_item_size"), std::string::npos);
  o = CompositorOptions();
  o.max_items = 1;
  EXPECT_NE(ValidateCompositorOptions(o).message().find("hard_negative_fraction"),
            std::string::npos);
  o.hard_negative_fraction = 0.0f;
  EXPECT_TRUE(ValidateCompositorOptions(o).ok());
  o = CompositorOptions();
  o.single_item_fraction = -0.1f;
  EXPECT_NE(ValidateCompositorOptions(o).message().find("single_item_fraction"), std::string::npos);
  o.single_item_fraction = 0.6f;  // + 0.5 pairs > 1
  EXPECT_NE(ValidateCompositorOptions(o).message().find("exceeds 1"), std::string::npos);
  o.single_item_fraction = 0.5f;
  EXPECT_TRUE(ValidateCompositorOptions(o).ok());
  EXPECT_FALSE(MakeCaptionBatch(1, 0, 8, CompositorOptions(), 4, 9).ok());
  CompositorOptions missing;
  missing.fashion_dir = "/nonexistent/fashion";
  auto m = MakeCaptionBatch(1, 0, 8, missing);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("dataset-fashion-mnist"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::datasets
