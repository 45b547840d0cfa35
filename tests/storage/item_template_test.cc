#include "storage/item_template.h"

#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using nlohmann::json;
using testing::PlanItem;

// What the store reads back for `item` with template `t` (the row's columns come from the
// item, as CreateSweep stores them).
json ReadBack(const ItemTemplate& t, const json& item) {
  return ItemFromTemplate(json::parse(t.text), t.fields, item.value("key", ""),
                          item.value("index", int64_t{0}), item.value("data_seed", int64_t{0}),
                          item.value("train_seed", int64_t{0}));
}

// Same members, same types, same values.
void ExpectSameItem(const json& read, const json& item) { EXPECT_EQ(read.dump(), item.dump()); }

TEST(ItemTemplatesTest, ReplicatesShareOneTemplateAndReadBackExactly) {
  std::vector<json> items;
  for (int seed = 1; seed <= 3; ++seed) {
    json item = PlanItem("key-" + std::to_string(seed), "coop", 4, seed);
    item["index"] = seed - 1;
    items.push_back(item);
  }
  ItemTemplates templates;
  std::shared_ptr<const ItemTemplate> first;
  for (const json& item : items) {
    auto t = templates.TemplateOf(item);
    if (!first) first = t;
    EXPECT_EQ(t, first);
    EXPECT_EQ(t->fields, kKeyField | kIndexField | kDataSeedField | kTrainSeedField);
    EXPECT_EQ(t->params_text, item["params"].dump());
    EXPECT_EQ(json::parse(t->text).count("key"), 0u);
    ExpectSameItem(ReadBack(*t, item), item);
  }
}

TEST(ItemTemplatesTest, AnyOtherDifferenceStartsANewTemplate) {
  json a = PlanItem("a", "coop", 4, 1);
  json b = PlanItem("b", "coop", 4, 2);
  b["params"]["lr"] = 1;  // an integer where a has a float
  json c = PlanItem("c", "coop", 4, 3);
  c["params"]["lr"] = 1.0;  // equal to 1 for nlohmann's ==, but written "1.0"
  json d = PlanItem("d", "coop", 4, 4);
  d["params"]["lr"] = 1.0;
  d.erase("train_seed");  // the same members otherwise, one replicate field fewer
  json e = PlanItem("e", "coop", 4, 5);
  e["params"]["lr"] = 1.0;
  e.erase("train_seed");
  e["extra"] = {{"note", "x"}};
  ItemTemplates templates;
  std::shared_ptr<const ItemTemplate> previous;
  for (const json* item : {&a, &b, &c, &d, &e, &a}) {
    auto t = templates.TemplateOf(*item);
    EXPECT_NE(t, previous);
    EXPECT_EQ(t->params_text, (*item)["params"].dump());
    ExpectSameItem(ReadBack(*t, *item), *item);
    previous = t;
  }
}

TEST(ItemTemplatesTest, MissingFieldsStayMissing) {
  json bare = {{"key", "k"}, {"method", "zero-shot"}, {"shots", 0}};
  ItemTemplates templates;
  auto t = templates.TemplateOf(bare);
  EXPECT_EQ(t->fields, kKeyField);
  EXPECT_EQ(t->params_text, "{}");
  const json read = ReadBack(*t, bare);
  ExpectSameItem(read, bare);
  EXPECT_EQ(read.count("data_seed"), 0u);
}

TEST(ItemTemplatesTest, DamagedTemplateTextReadsBackAsDiscarded) {
  const json damaged = json::parse("{not json", nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(ItemFromTemplate(damaged, kKeyField | kIndexField, "k", 1, 2, 3).is_discarded());
}

TEST(SameJsonTest, IsStricterThanEqualityWhereTheTextDiffers) {
  EXPECT_TRUE(SameJson(json::parse(R"({"a": [1, 2.5, "x"], "b": {"c": null}})"),
                       json::parse(R"({"b": {"c": null}, "a": [1, 2.5, "x"]})")));
  EXPECT_FALSE(SameJson(json(1), json(1.0)));
  EXPECT_FALSE(SameJson(json(0.0), json(-0.0)));
  EXPECT_FALSE(SameJson(json::parse(R"({"a": 1})"), json::parse(R"({"b": 1})")));
  EXPECT_FALSE(SameJson(json::parse("[1, 2]"), json::parse("[1, 2, 3]")));
  EXPECT_FALSE(SameJson(json("1"), json(1)));
}

}  // namespace
}  // namespace chromatune
