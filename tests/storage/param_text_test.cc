#include "storage/param_text.h"

#include <gtest/gtest.h>

namespace chromatune {
namespace {

using nlohmann::json;

TEST(ParamTextTest, ValuesAsAFlatCellReadsThem) {
  EXPECT_EQ(ParamValueText(json("end")), "end");
  EXPECT_EQ(ParamValueText(json(0.002)), "0.002");
  EXPECT_EQ(ParamValueText(json(true)), "true");
  EXPECT_EQ(ParamValueText(json{{"name", "red"}, {"rgb", {250, 0, 45}}}), "red");
  EXPECT_EQ(ParamValueText(json::array({json{{"name", "red"}}, "x", 1})), "[red,x,1]");
  EXPECT_EQ(ParamValueText(json{{"a", 1}}), "{\"a\":1}");
}

TEST(ParamTextTest, ParamsAsNameEqualsValueSkippingNulls) {
  const json params = {
      {"alpha", 0.5}, {"color", {{"name", "red"}}}, {"init", "a photo of a"}, {"palette", nullptr}};
  EXPECT_EQ(ParamsText(params), "alpha=0.5 color=red init=\"a photo of a\"");
  EXPECT_EQ(ParamsText(json::object()), "");
  EXPECT_EQ(ParamsText({{"palette", nullptr}}), "");
  EXPECT_EQ(ParamsText(nullptr), "");
}

}  // namespace
}  // namespace chromatune
