#include "datasets/json_file.h"

#include <gtest/gtest.h>

#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

TEST(JsonFileTest, ReadsAndReportsParseErrorsWithTheFile) {
  TempDir dir;
  auto ok = ReadJsonFile(dir.Write("a.json", R"({"x": [1, 2]})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["x"][1], 2);
  auto bad = ReadJsonFile(dir.Write("b.json", R"({"x": [1, 2})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.json: not valid JSON"), std::string::npos);
  auto missing = ReadJsonFile(dir.File("c.json"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  // out_of_range, not parse_error: it escaped as an exception.
  auto huge = ReadJsonFile(dir.Write("d.json", R"({"train": [["a.png", 1E400, "x"]]})"));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("d.json: not valid JSON"), std::string::npos);
}

TEST(JsonFileTest, TypedAccessNamesTheField) {
  const nlohmann::json doc = nlohmann::json::parse(R"({"a": 3, "b": "s", "c": 2.5, "d": 4.0})");
  EXPECT_EQ(*JsonInt("f", doc["a"], "a"), 3);
  EXPECT_EQ(*JsonInt("f", doc["d"], "d"), 4);
  auto not_int = JsonInt("f", doc["c"], "\"c\"");
  ASSERT_FALSE(not_int.ok());
  EXPECT_EQ(not_int.status().message(), "f: \"c\": must be an integer, got 2.5");
  EXPECT_FALSE(JsonString("f", doc["a"], "a").ok());
  EXPECT_EQ(*JsonNumber("f", doc["c"], "c"), 2.5);
  auto member = JsonMember("f", doc, "\"x\"[0]", "zz");
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.status().message(), "f: \"x\"[0].zz: missing");
  EXPECT_FALSE(JsonExpect("f", doc, "top", "array").ok());
  EXPECT_TRUE(JsonExpect("f", doc, "top", "object").ok());
}

TEST(JsonFileTest, Paths) {
  EXPECT_EQ(DirName("/a/b/c.json"), "/a/b");
  EXPECT_EQ(DirName("c.json"), ".");
  EXPECT_EQ(DirName("/c.json"), "/");
  EXPECT_EQ(JoinPath("/a", "b.png"), "/a/b.png");
  EXPECT_EQ(JoinPath("/a/", "b.png"), "/a/b.png");
  EXPECT_EQ(JoinPath("/a", "/abs.png"), "/abs.png");
}

}  // namespace
}  // namespace chromatune::datasets
