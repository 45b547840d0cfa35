#include "datasets/fashion_ref.h"

#include <gtest/gtest.h>

#include "datasets/captions.h"

namespace chromatune::datasets {
namespace {

std::shared_ptr<const FashionMnist> TestSplit() {
  auto test = LoadFashionMnist(FashionSplit::kTest);
  EXPECT_TRUE(test.ok()) << test.status().ToString();
  return test.ok() ? *test : nullptr;
}

TEST(FashionRefTest, DeterministicAndPrefixStable) {
  FashionRefOptions o;
  auto a = MakeFashionRef(FashionRefPool::kEval, 40, o);
  auto b = MakeFashionRef(FashionRefPool::kEval, 10, o);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 40u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ((*a)[i].image, (*b)[i].image);
    EXPECT_EQ((*a)[i].query, (*b)[i].query);
    EXPECT_EQ((*a)[i].target, (*b)[i].target);
    EXPECT_EQ((*a)[i].id, static_cast<int64_t>(i));
  }
  o.seed = 8;
  auto c = MakeFashionRef(FashionRefPool::kEval, 10, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE((*c)[0].image, (*a)[0].image);
  auto s = MakeFashionRef(FashionRefPool::kSupport, 10, FashionRefOptions());
  ASSERT_TRUE(s.ok());
  EXPECT_NE((*s)[0].image, (*a)[0].image);
}

TEST(FashionRefTest, ProposalsTargetAndExpressionsAreConsistent) {
  auto test = TestSplit();
  ASSERT_TRUE(test);
  FashionRefOptions o;
  o.relational_fraction = 0.5f;
  const auto set = ComposeFashionRef(*test, FashionRefPool::kEval, 300, o);
  int relational = 0;
  std::vector<int> target_positions(5, 0);
  for (const GroundingExample& ex : set) {
    ASSERT_EQ(ex.proposals.size(), 5u);
    ASSERT_EQ(ex.proposal_masks.size(), 5u);
    ASSERT_EQ(ex.proposal_labels.size(), 5u);
    ASSERT_GE(ex.target, 0);
    ASSERT_LT(ex.target, 5);
    ++target_positions[ex.target];
    EXPECT_EQ(ex.proposal_labels[ex.target], ex.target_label);
    EXPECT_EQ(std::count(ex.proposal_labels.begin(), ex.proposal_labels.end(), -1), 2);
    EXPECT_GT(ex.proposal_masks[ex.target].count(), 0);
    const std::string word = "the " + FashionClassWords()[ex.target_label];
    ASSERT_EQ(ex.query.rfind(word, 0), 0u) << ex.query;
    // Distractors overlap the items' boxes by IoU <= 0.2 (or a little more when crowded).
    for (size_t p = 0; p < ex.proposals.size(); ++p) {
      if (ex.proposal_labels[p] != -1) continue;
      for (size_t q = 0; q < ex.proposals.size(); ++q) {
        if (q != p && ex.proposal_labels[q] != -1) {
          EXPECT_LE(IoU(ex.proposals[p], ex.proposals[q]), 0.5f);
        }
      }
    }
    // A twin of the target's class is what makes an example relational.
    EXPECT_EQ(HasTwinOfTarget(ex), ex.query != word) << ex.query;
    if (ex.query == word) {
      // The class is unique among the items.
      EXPECT_EQ(std::count(ex.proposal_labels.begin(), ex.proposal_labels.end(), ex.target_label),
                1);
      continue;
    }
    ++relational;
    // "the X REL the Y": the relation holds for the target and for no other X.
    int anchor_label = -1;
    Relation rel = Relation::kLeftOf;
    for (Relation r : {Relation::kLeftOf, Relation::kRightOf, Relation::kAbove, Relation::kBelow}) {
      for (int c = 0; c < kFashionClasses; ++c) {
        if (ex.query == ReferringExpression(ex.target_label, r, c)) {
          anchor_label = c;
          rel = r;
        }
      }
    }
    ASSERT_GE(anchor_label, 0) << ex.query;
    int anchor = -1;
    for (size_t p = 0; p < ex.proposals.size(); ++p) {
      if (ex.proposal_labels[p] == anchor_label) anchor = static_cast<int>(p);
    }
    ASSERT_GE(anchor, 0);
    EXPECT_TRUE(HoldsRelation(rel, ex.proposals[ex.target], ex.proposals[anchor]));
    for (size_t p = 0; p < ex.proposals.size(); ++p) {
      if (static_cast<int>(p) != ex.target && ex.proposal_labels[p] == ex.target_label) {
        EXPECT_FALSE(HoldsRelation(rel, ex.proposals[p], ex.proposals[anchor])) << ex.query;
      }
    }
  }
  EXPECT_GT(relational, 100);
  for (int count : target_positions) EXPECT_GT(count, 30);  // the target's slot is shuffled
}

TEST(FashionRefTest, PoolsUseDisjointHalvesOfTheTestSplit) {
  // A synthetic split whose first half is blank: eval examples show only background.
  FashionMnist fake;
  fake.split = FashionSplit::kTest;
  fake.count = 200;
  fake.pixels.assign(200 * 784, 0);
  for (int i = 0; i < 200; ++i) fake.labels.push_back(static_cast<uint8_t>(i % 10));
  std::fill(fake.pixels.begin() + 100 * 784, fake.pixels.end(), 255);
  FashionRefOptions o;
  for (const GroundingExample& ex : ComposeFashionRef(fake, FashionRefPool::kEval, 20, o)) {
    const Rgb bg = ex.image.rgb(0, 0);
    for (int y = 0; y < ex.image.height; ++y) {
      for (int x = 0; x < ex.image.width; ++x) ASSERT_EQ(ex.image.rgb(y, x), bg);
    }
  }
  for (const GroundingExample& ex : ComposeFashionRef(fake, FashionRefPool::kSupport, 20, o)) {
    EXPECT_GT(ex.proposal_masks[ex.target].count(), 100);  // a solid square item
  }
}

TEST(FashionRefTest, ShiftedDomainHasALightBackground) {
  FashionRefOptions o;
  o.domain = Domain::kShift;
  auto set = MakeFashionRef(FashionRefPool::kEval, 20, o);
  ASSERT_TRUE(set.ok());
  for (const GroundingExample& ex : *set) {
    const Rgb corner = ex.image.rgb(0, 0);
    EXPECT_GE(std::min({corner.r, corner.g, corner.b}), 100);
    for (const Box& b : ex.proposals) EXPECT_LE(b.width(), 17.0f);
  }
}

TEST(FashionRefTest, InvalidOptionsNameTheField) {
  FashionRefOptions o;
  o.num_items = 1;
  auto r = MakeFashionRef(FashionRefPool::kEval, 5, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("num_items"), std::string::npos);
  o = FashionRefOptions();
  o.num_items = 2;
  EXPECT_NE(ValidateFashionRefOptions(o).message().find("relational_fraction"), std::string::npos);
  o.relational_fraction = 0;
  EXPECT_TRUE(ValidateFashionRefOptions(o).ok());
  o = FashionRefOptions();
  o.max_item_size = 40;
  EXPECT_NE(ValidateFashionRefOptions(o).message().find("max_item_size"), std::string::npos);
  o = FashionRefOptions();
  o.num_distractors = 5;
  EXPECT_NE(ValidateFashionRefOptions(o).message().find("num_distractors"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::datasets
