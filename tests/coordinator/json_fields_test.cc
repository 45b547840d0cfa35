#include "coordinator/json_fields.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

TEST(JsonFieldsTest, MalformedJsonNamesRouteAndPosition) {
  auto j = ParseJsonObject("{\"a\": 1,", "POST /api/v1/lease");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("POST /api/v1/lease: malformed JSON"), std::string::npos);
  auto arr = ParseJsonObject("[1, 2]", "POST /x");
  ASSERT_FALSE(arr.ok());
  EXPECT_NE(arr.status().message().find("JSON object"), std::string::npos);
}

// A number beyond double's range is nlohmann's out_of_range, not parse_error: it escaped
// ParseJsonObject (found by tests/fuzz/result_wire_fuzz, input kept in its corpus).
TEST(JsonFieldsTest, NumberOutOfRangeIsMalformedJsonNotAnException) {
  for (const char* body : {"{\"a\": 1E400}", "88E808888"}) {
    auto j = ParseJsonObject(body, "POST /api/v1/groups");
    ASSERT_FALSE(j.ok()) << body;
    EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(j.status().message().find("POST /api/v1/groups: malformed JSON"), std::string::npos)
        << j.status().message();
  }
}

TEST(JsonFieldsTest, TypedReadsNameTheField) {
  auto j = nlohmann::json::parse(R"({"n": 5, "s": "x", "b": true, "d": 0.5, "bad": "5"})");
  JsonFields f(j, "route");
  EXPECT_EQ(*f.Int("n", 1, 10), 5);
  EXPECT_EQ(*f.IntOr("absent", 7, 1, 10), 7);
  EXPECT_EQ(*f.String("s"), "x");
  EXPECT_EQ(*f.StringOr("absent", "dflt"), "dflt");
  EXPECT_TRUE(*f.BoolOr("b", false));
  EXPECT_DOUBLE_EQ(*f.DoubleOr("d", 0), 0.5);
  auto range = f.Int("n", 6, 10);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("route: field \"n\": 5 is outside [6, 10]"),
            std::string::npos);
  EXPECT_NE(f.Int("bad", 0, 10).status().message().find("\"bad\": expected an integer"),
            std::string::npos);
  EXPECT_NE(f.Int("missing", 0, 10).status().message().find("\"missing\": missing"),
            std::string::npos);
  EXPECT_FALSE(f.String("n").ok());
  EXPECT_FALSE(f.BoolOr("s", false).ok());
  EXPECT_FALSE(f.DoubleOr("s", 0).ok());
}

TEST(JsonFieldsTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto j = ParseJsonObject(deep, "POST /api/v1/trials/1/complete");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().message(),
            "POST /api/v1/trials/1/complete: JSON nests deeper than 64 levels");
  // Brackets inside strings do not count; escaped quotes do not end a string.
  const std::string text = "{\"s\":\"" + std::string(1000, '[') + "\\\"[[[\"}";
  EXPECT_TRUE(ParseJsonObject(text, "r").ok());
  EXPECT_FALSE(JsonNestsDeeperThan("[[[]]]", 3));
  EXPECT_TRUE(JsonNestsDeeperThan("[[[[]]]]", 3));
}

}  // namespace
}  // namespace chromatune::coordinator
