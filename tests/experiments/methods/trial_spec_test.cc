#include "experiments/methods/trial_spec.h"

#include <gtest/gtest.h>

namespace chromatune::methods {
namespace {

nlohmann::json Item() {
  return {{"task", "classification"},
          {"dataset", "fashion-mnist"},
          {"backbone", "builtin:tiny-clip"},
          {"method", "coop"},
          {"shots", 4},
          {"shot_unit", "per_class"},
          {"data_seed", 3},
          {"train_seed", 5},
          {"params", {{"ctx_len", 4}}}};
}

TEST(TrialSpecTest, ParsesAPlanItem) {
  auto spec = ParseTrialSpec(Item());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->task, Task::kClassification);
  EXPECT_EQ(spec->method, "coop");
  EXPECT_EQ(spec->shots, 4);
  EXPECT_EQ(spec->data_seed, 3u);
  EXPECT_EQ(spec->train_seed, 5u);
  EXPECT_EQ(spec->params["ctx_len"], 4);
  EXPECT_EQ(spec->eval_size, 0);
}

TEST(TrialSpecTest, ErrorsNameTheField) {
  struct Case {
    const char* field;
    nlohmann::json value;
  };
  for (const Case& c :
       {Case{"task", "segmentation"}, Case{"shots", -1}, Case{"shots", "four"},
        Case{"shot_unit", "each"}, Case{"data_seed", -2}, Case{"params", nlohmann::json::array()},
        Case{"method", ""}, Case{"eval_size", 0}}) {
    nlohmann::json item = Item();
    item[c.field] = c.value;
    auto spec = ParseTrialSpec(item);
    ASSERT_FALSE(spec.ok()) << c.field;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(std::string("\"") + c.field + "\""), std::string::npos)
        << spec.status().message();
  }
  nlohmann::json item = Item();
  item.erase("dataset");
  auto spec = ParseTrialSpec(item);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("dataset"), std::string::npos);
  EXPECT_FALSE(ParseTrialSpec(nlohmann::json::array()).ok());
}

// backbone_seed picks the pretraining run of a builtin backbone; files have none.
TEST(TrialSpecTest, BackboneSeedOnlyForBuiltinBackbones) {
  auto plain = ParseTrialSpec(Item());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->backbone_seed.has_value());
  EXPECT_EQ(ModelName(*plain), "builtin:tiny-clip");
  nlohmann::json item = Item();
  item["backbone_seed"] = 2;
  auto seeded = ParseTrialSpec(item);
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  EXPECT_EQ(seeded->backbone_seed, 2u);
  EXPECT_EQ(ModelName(*seeded), "builtin:tiny-clip?seed=2");
  item["backbone"] = "builtin:tiny-clip?steps=20";
  EXPECT_EQ(ModelName(*ParseTrialSpec(item)), "builtin:tiny-clip?steps=20&seed=2");
  item["backbone_seed"] = -1;
  EXPECT_FALSE(ParseTrialSpec(item).ok());
  for (const char* file : {"torchscript:/m.pt", "clip:/m.pt", "spec:/s.yaml"}) {
    item["backbone"] = file;
    item["backbone_seed"] = 1;
    auto bad = ParseTrialSpec(item);
    ASSERT_FALSE(bad.ok()) << file;
    EXPECT_NE(bad.status().message().find("\"backbone_seed\": only builtin backbones"),
              std::string::npos)
        << bad.status().message();
  }
}

TEST(ParamReaderTest, ReadsDefaultsAndReportsTheFirstBadField) {
  nlohmann::json params = {{"a", 3}, {"b", "x"}, {"c", 2.5}, {"d", true}};
  ParamReader r(params);
  EXPECT_EQ(r.Int("a", 1, 0, 10), 3);
  EXPECT_EQ(r.Int("missing", 7, 0, 10), 7);
  EXPECT_EQ(r.Enum("b", "y", {"x", "y"}), "x");
  EXPECT_DOUBLE_EQ(r.Double("c", 0.0, 0.0, 3.0), 2.5);
  EXPECT_TRUE(r.Bool("d", false));
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.Int("a", 1, 5, 10), 1);  // out of range: default, error recorded
  r.Bool("b", false);                  // a second problem does not replace the first
  ASSERT_FALSE(r.status().ok());
  EXPECT_NE(r.status().message().find("params.a"), std::string::npos);
}

}  // namespace
}  // namespace chromatune::methods
