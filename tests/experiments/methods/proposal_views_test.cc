#include "experiments/methods/proposal_views.h"

#include <gtest/gtest.h>

#include <set>

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
    ProposalViews v = CptViews(Example(c.proposals), Palette(c.colours), "k");
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
  ProposalViews v = CptViews(ex, marker, "k");
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
  ProposalViews m = CptViews(ex, marker, "k");
  EXPECT_NE(m.views[0].rgb(9, 3), (datasets::Rgb{10, 10, 10}));
  EXPECT_EQ(m.views[0].rgb(8, 5), (datasets::Rgb{10, 10, 10}));
  EXPECT_NE(m.keys[0], v.keys[0]);
}

TEST(ProposalViewsTest, RedCircleAndCropsGiveOneViewPerProposal) {
  const datasets::GroundingExample ex = Example(4);
  ProposalViews c = RedCircleViews(ex, {255, 0, 0}, 2, "k");
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

}  // namespace
}  // namespace chromatune::methods
