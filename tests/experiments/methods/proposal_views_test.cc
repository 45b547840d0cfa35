#include "experiments/methods/proposal_views.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "datasets/image_io.h"
#include "datasets/refexp.h"
#include "datasets/resample.h"
#include "tests/datasets/pillow_reference.h"
#include "tests/datasets/temp_dir.h"

namespace chromatune::methods {
namespace {

datasets::GroundingExample Example(int proposals) {
  datasets::GroundingExample ex;
  ex.id = 4;
  ex.image = datasets::Image(56, 56, 3, 10);
  ex.query = "the bag";
  for (int p = 0; p < proposals; ++p) {
    const float x = 2.0f + 10.0f * p;
    ex.proposals.push_back({x, 5.0f, x + 8.0f, 13.0f});
    datasets::Mask m(56, 56);
    m.set(9, static_cast<int>(x) + 1, true);
    ex.proposal_masks.push_back(m);
    ex.proposal_labels.push_back(p);
  }
  ex.target = 1;
  return ex;
}

CptMarker Palette(int colours) {
  CptMarker m;
  for (int c = 0; c < colours; ++c) m.colors.push_back(datasets::CptColors()[c]);
  return m;
}

TEST(ProposalViewsTest, CptRendersCeilProposalsOverColours) {
  struct Case {
    int proposals, colours, renders;
  };
  for (const Case& c :
       {Case{5, 5, 1}, Case{5, 2, 3}, Case{5, 1, 5}, Case{3, 5, 1}, Case{4, 2, 2}}) {
    ProposalViews v = CptViews(Example(c.proposals), Palette(c.colours), 56, "k");
    EXPECT_EQ(static_cast<int>(v.views.size()), c.renders) << c.proposals << "/" << c.colours;
    EXPECT_EQ(static_cast<int>(v.texts.size()), c.colours);
    ASSERT_EQ(static_cast<int>(v.view_of.size()), c.proposals);
    std::set<std::pair<int64_t, int64_t>> pairs;
    for (int p = 0; p < c.proposals; ++p) {
      EXPECT_EQ(v.view_of[p], p / c.colours);
      EXPECT_EQ(v.text_of[p], p % c.colours);
      pairs.insert({v.view_of[p], v.text_of[p]});
    }
    EXPECT_EQ(static_cast<int>(pairs.size()), c.proposals);  // every proposal distinct
    std::set<std::string> keys(v.keys.begin(), v.keys.end());
    EXPECT_EQ(keys.size(), v.keys.size());
  }
}

TEST(ProposalViewsTest, CptBlendsEachProposalWithItsColour) {
  const datasets::GroundingExample ex = Example(3);
  CptMarker marker = Palette(2);
  ProposalViews v = CptViews(ex, marker, 56, "k");
  ASSERT_EQ(v.views.size(), 2u);
  const float a = marker.alpha;
  // Proposal 0 (render 0, colour 0 = red), proposal 1 (render 0, purple), proposal 2
  // (render 1, red); the blended pixel follows datasets::BlendChannel.
  EXPECT_EQ(v.views[0].rgb(8, 5).r, datasets::BlendChannel(10, 250, a));
  EXPECT_EQ(v.views[0].rgb(8, 15).r, datasets::BlendChannel(10, 140, a));
  EXPECT_EQ(v.views[0].rgb(8, 25), (datasets::Rgb{10, 10, 10}));
  EXPECT_EQ(v.views[1].rgb(8, 25).r, datasets::BlendChannel(10, 250, a));
  EXPECT_EQ(v.views[1].rgb(8, 5), (datasets::Rgb{10, 10, 10}));
  EXPECT_EQ(v.texts[1].color, "purple");
  EXPECT_EQ(v.texts[1].name, "the bag");
  // Mask marker: only the silhouette pixel changes.
  marker.mask = true;
  ProposalViews m = CptViews(ex, marker, 56, "k");
  EXPECT_NE(m.views[0].rgb(9, 3), (datasets::Rgb{10, 10, 10}));
  EXPECT_EQ(m.views[0].rgb(8, 5), (datasets::Rgb{10, 10, 10}));
  EXPECT_NE(m.keys[0], v.keys[0]);
}

TEST(ProposalViewsTest, RedCircleAndCropsGiveOneViewPerProposal) {
  const datasets::GroundingExample ex = Example(4);
  ProposalViews c = RedCircleViews(ex, {255, 0, 0}, 2, 56, "k");
  ASSERT_EQ(c.views.size(), 4u);
  EXPECT_NE(c.views[0], ex.image);
  EXPECT_NE(c.views[0], c.views[1]);
  ProposalViews crops = CropViews(ex, 32, "k");
  ASSERT_EQ(crops.views.size(), 4u);
  EXPECT_EQ(crops.views[0].height, 32);
  EXPECT_EQ(crops.views[0].width, 32);
  EXPECT_EQ(crops.texts.size(), 1u);
  EXPECT_EQ(crops.text_of, (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(ProposalViewsTest, CropOfAnEmptyBoxIsOnePixelResized) {
  datasets::Image img(10, 10, 3, 0);
  img.set_rgb(3, 4, {200, 100, 50});
  datasets::Image c = CropResize(img, {4.2f, 3.2f, 4.3f, 3.3f}, 4);
  EXPECT_EQ(c.height, 4);
  EXPECT_EQ(c.rgb(0, 0), (datasets::Rgb{200, 100, 50}));
}

// ---- Real images: views made at the original resolution, then preprocessed ----------------

using datasets::testing::Compare;
using datasets::testing::Diff;
using datasets::testing::PillowJobs;
using datasets::testing::TempDir;

// A non-square photo stand-in with detail finer than a downsized copy keeps: a 2-pixel
// checkerboard over gradients, and hashed noise.
datasets::Image DetailedCard(int h, int w) {
  datasets::Image image(h, w, 3);
  uint32_t state = 12345;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      state = state * 1664525u + 1013904223u;
      const int noise = static_cast<int>(state >> 27) - 16;
      const int checker = ((x / 2) + (y / 2)) % 2 == 0 ? 60 : -60;
      const int v[3] = {x * 255 / w + checker + noise, y * 255 / h - checker,
                        128 + checker / 2 + noise};
      for (int c = 0; c < 3; ++c)
        image.at(y, x, c) = static_cast<uint8_t>(std::clamp(v[c], 0, 255));
    }
  }
  return image;
}

// A refexp file over `file` (h x w) with two annotations, fractional like COCO's.
std::string RefexpFixture(const TempDir& dir, const std::string& file, int h, int w) {
  char json[1024];
  std::snprintf(json, sizeof(json), R"({
    "images": [{"id": 1, "file_name": "%s", "width": %d, "height": %d}],
    "annotations": [{"id": 10, "image_id": 1, "bbox": [37.4, 20.6, 61.2, 90.3], "category_id": 1},
                    {"id": 11, "image_id": 1, "bbox": [150, 40, 90, 100], "category_id": 1}],
    "refs": [{"image_id": 1, "ann_id": 10, "split": "val", "sentences": [{"sent": "left"}]}]})",
                file.c_str(), w, h);
  return dir.Write(file + ".json", json);
}

datasets::GroundingExample LoadExample(const std::string& json) {
  auto set = datasets::ReadRefexp(json);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  if (!set.ok()) return {};
  auto examples = datasets::LoadRefexpExamples(*set, {0});
  EXPECT_TRUE(examples.ok()) << examples.status().ToString();
  return examples.ok() ? (*examples)[0] : datasets::GroundingExample{};
}

// Crops and CPT blocks of a real image are made on the decoded original in its own pixel
// coordinates and then preprocessed as CLIP does; Pillow doing the same (crop or blend at
// full size, Resize(side, BICUBIC), CenterCrop(side)) is the reference. The old way (the
// image squashed to side x side first, the box cut from that) loses the fine detail, and the
// test makes sure the two differ measurably, so it cannot pass by accident.
TEST(ProposalViewsPillowTest, RealImagesAreCroppedAndMarkedAtTheirOwnResolution) {
  SKIP_WITHOUT_PILLOW();
  TempDir dir;
  constexpr int kH = 180, kW = 300, kSide = 64;
  const datasets::Image card = DetailedCard(kH, kW);
  ASSERT_TRUE(datasets::WritePng(dir.File("card.png"), card).ok());
  PillowJobs encode(dir);
  encode.EncodeJpeg(dir.File("card.png"), 90, dir.File("card.jpg"));
  encode.Run();
  struct Case {
    std::string file;
    double max_mean;  // PNG decodes to Pillow's pixels exactly; JPEG decoders differ a little
    int max_abs;
  };
  for (const Case& c : {Case{"card.png", 0.0, 0}, Case{"card.jpg", 0.25, 4}}) {
    SCOPED_TRACE(c.file);
    const datasets::GroundingExample ex = LoadExample(RefexpFixture(dir, c.file, kH, kW));
    ASSERT_NE(ex.original, nullptr);
    EXPECT_EQ(ex.original->width, kW);
    EXPECT_TRUE(ex.image.empty());  // no per-sentence copy
    ASSERT_EQ(ex.proposals.size(), 2u);
    EXPECT_FLOAT_EQ(ex.proposals[0].x0, 37.4f);  // original pixel coordinates

    ProposalViews crops = CropViews(ex, kSide, "k");
    CptMarker marker;
    marker.colors = {datasets::CptColors()[0]};
    ProposalViews cpt = CptViews(ex, marker, kSide, "k");
    ASSERT_EQ(crops.views.size(), 2u);
    ASSERT_EQ(cpt.views.size(), 2u);  // one colour: one rendering per proposal
    PillowJobs jobs(dir);
    for (size_t p = 0; p < 2; ++p) {
      const datasets::PixelRect r = datasets::ToPixelRect(ex.proposals[p], kH, kW);
      jobs.CropClip(dir.File(c.file), r, kSide);
      jobs.BlendClip(dir.File(c.file), r, marker.colors[0].rgb, marker.alpha, kSide);
    }
    const std::vector<datasets::Image> pillow = jobs.Run();
    ASSERT_EQ(pillow.size(), 4u);
    for (size_t p = 0; p < 2; ++p) {
      SCOPED_TRACE("proposal " + std::to_string(p));
      for (const auto& [ours, ref] : {std::pair{&crops.views[p], &pillow[2 * p]},
                                      std::pair{&cpt.views[p], &pillow[2 * p + 1]}}) {
        ASSERT_EQ(ours->height, kSide);
        ASSERT_EQ(ours->width, kSide);
        const Diff d = Compare(*ours, *ref);
        EXPECT_LE(d.mean_abs, c.max_mean) << d.differing << " bytes differ";
        EXPECT_LE(d.max_abs, c.max_abs);
      }
      // The old way: the box cut from the image already squashed to the model's side.
      const datasets::Image squashed = datasets::ResizeBilinear(card, kSide, kSide);
      const float sx = static_cast<float>(kSide) / kW, sy = static_cast<float>(kSide) / kH;
      const datasets::Box& b = ex.proposals[p];
      const datasets::Image old =
          CropResize(squashed, {b.x0 * sx, b.y0 * sy, b.x1 * sx, b.y1 * sy}, kSide);
      EXPECT_GT(Compare(old, pillow[2 * p]).mean_abs, 10.0);
    }
  }
}

// The ring is drawn on the original with its thickness scaled by the downsizing, so it keeps
// about `thickness` model pixels: a 2-pixel ring on a 180-pixel-high image drawn at 6 pixels
// (2 * 180 / 64, rounded) shows as a clearly red band after preprocessing.
TEST(ProposalViewsTest, RedCircleOnAnOriginalIsDrawnThereThenPreprocessed) {
  datasets::GroundingExample ex;
  ex.original = std::make_shared<const datasets::Image>(180, 300, 3, 200);
  ex.query = "the card";
  ex.proposals = {{90, 30, 210, 150}};
  ProposalViews v = RedCircleViews(ex, {255, 0, 0}, 2, 64, "k");
  ASSERT_EQ(v.views.size(), 1u);
  datasets::Image drawn = *ex.original;
  datasets::DrawEllipse(&drawn, ex.proposals[0], {255, 0, 0}, 6);
  auto expected = datasets::ClipPreprocess(drawn, 64);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(v.views[0], *expected);
  // The ellipse's left edge: x = 90 in the original, (90 - 60) * 64 / 180 in the view.
  EXPECT_LT(v.views[0].rgb(32, 11).g, 120);  // background 200, ring 0
  EXPECT_EQ(v.views[0].rgb(32, 32), (datasets::Rgb{200, 200, 200}));
  EXPECT_NE(v.keys[0].find("/clip64"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::methods
