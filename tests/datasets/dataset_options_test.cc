#include "datasets/sources/dataset_options.h"

#include <gtest/gtest.h>

namespace chromatune::datasets {
namespace {

TEST(DatasetOptionsTest, JsonRoundTripWithOnlyTheFieldsSet) {
  DatasetOptions empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(DatasetOptionsToJson(empty), nlohmann::json::object());
  EXPECT_EQ(*DatasetOptionsFromJson(nullptr), empty);

  DatasetOptions o;
  o.image_root = "/data/images";
  o.proposals = "/data/props.json";
  o.eval.splits = {"val", "testA", "testB"};
  o.eval.size = kEvalSizeAll;
  const nlohmann::json j = DatasetOptionsToJson(o);
  EXPECT_EQ(j.dump(),
            R"({"eval":{"size":"all","split":["val","testA","testB"]},"image_root":"/data/images",)"
            R"("proposals":"/data/props.json"})");
  EXPECT_EQ(*DatasetOptionsFromJson(j), o);

  DatasetOptions n;
  n.eval.size = 500;
  n.eval.domain = "shift";
  EXPECT_EQ(DatasetOptionsToJson(n).dump(), R"({"eval":{"domain":"shift","size":500}})");
  EXPECT_EQ(*DatasetOptionsFromJson(DatasetOptionsToJson(n)), n);
}

TEST(DatasetOptionsTest, BadJsonNamesTheField) {
  auto message = [](const char* text) {
    auto r = DatasetOptionsFromJson(nlohmann::json::parse(text));
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(message("[1]"), "dataset_options: expected an object");
  EXPECT_EQ(message(R"({"root": "x"})"), "dataset_options.root: unknown field");
  EXPECT_EQ(message(R"({"image_root": 3})"),
            "dataset_options.image_root: expected a non-empty string");
  EXPECT_EQ(message(R"({"eval": {"size": 0}})"),
            "dataset_options.eval.size: expected \"all\" or an integer >= 1");
  EXPECT_EQ(message(R"({"eval": {"split": []}})"),
            "dataset_options.eval.split: expected a non-empty list of names");
  EXPECT_EQ(message(R"({"eval": {"domain": "dark"}})"),
            "dataset_options.eval.domain: expected plain or shift");
  EXPECT_EQ(message(R"({"eval": {"splits": ["x"]}})"),
            "dataset_options.eval.splits: unknown field");
}

}  // namespace
}  // namespace chromatune::datasets
