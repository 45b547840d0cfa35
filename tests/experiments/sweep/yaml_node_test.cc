#include "experiments/sweep/yaml_node.h"

#include <gtest/gtest.h>

#include <cmath>

namespace chromatune {
namespace {

using Kind = TypedScalar::Kind;

TypedScalar Type(const std::string& yaml) { return TypeScalar(YAML::Load("v: " + yaml)["v"]); }

TEST(YamlNodeTest, CoreSchemaTyping) {
  EXPECT_EQ(Type("12").kind, Kind::kInt);
  EXPECT_EQ(Type("-3").integer, -3);
  EXPECT_EQ(Type("0x10").integer, 16);
  EXPECT_EQ(Type("0o17").integer, 15);
  EXPECT_EQ(Type("1.0e-5").kind, Kind::kFloat);
  EXPECT_DOUBLE_EQ(Type("1.0e-5").number, 1e-5);
  EXPECT_DOUBLE_EQ(Type(".5").number, 0.5);
  EXPECT_DOUBLE_EQ(Type("1e3").number, 1000.0);
  EXPECT_TRUE(std::isinf(Type(".inf").number));
  EXPECT_TRUE(std::isnan(Type(".nan").number));
  EXPECT_EQ(Type("true").kind, Kind::kBool);
  EXPECT_FALSE(Type("False").boolean);
  EXPECT_EQ(Type("yes").kind, Kind::kString);  // YAML 1.2: not a bool
  EXPECT_EQ(Type("'5'").kind, Kind::kString);
  EXPECT_EQ(Type("\"true\"").kind, Kind::kString);
  EXPECT_EQ(Type("~").kind, Kind::kNull);
  EXPECT_EQ(Type("").kind, Kind::kNull);
  EXPECT_EQ(Type("a photo").kind, Kind::kString);
  EXPECT_EQ(Type("99999999999999999999").kind, Kind::kFloat);  // beyond int64
}

TEST(YamlNodeTest, LoadErrorsCarryPosition) {
  auto r = LoadYaml("a: [1, 2\nb: 3\n", "f.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("f.yaml:", 0), 0u);
  EXPECT_NE(r.status().message().find("not valid YAML"), std::string::npos);
  auto two = LoadYaml("a: 1\n---\nb: 2\n", "f.yaml");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("one YAML document"), std::string::npos);
  EXPECT_EQ(two.status().message().rfind("f.yaml:2:", 0), 0u) << two.status().message();
}

// yaml-cpp's LoadAll allocated without end on a stray comma after a document (found by
// tests/fuzz/sweep_spec_fuzz; the input is kept in its corpus): now an error at once.
TEST(YamlNodeTest, StrayFlowIndicatorAfterADocumentEnds) {
  for (const char* text : {"- {}\n,\n", "{}\n,}\n", "- [a]\n,]\n"}) {
    auto r = LoadYaml(text, "f.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().message().rfind("f.yaml:", 0), 0u) << r.status().message();
  }
  auto empty = LoadYaml("# nothing\n", "f.yaml");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->IsNull());
}

TEST(YamlNodeTest, DuplicateKeysAtEveryDepth) {
  auto root = LoadYaml("a: 1\nb: {x: 1, x: 2}\nc: [{y: 1, y: 2}]\na: 3\n", "f.yaml");
  ASSERT_TRUE(root.ok());
  Diagnostics d("f.yaml");
  CheckDuplicateKeys(*root, "", d);
  auto lines = d.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "f.yaml:2:11: b.x: duplicate key (first set at line 2)");
  EXPECT_EQ(lines[1], "f.yaml:3:12: c[0].y: duplicate key (first set at line 3)");
  EXPECT_EQ(lines[2], "f.yaml:4:1: a: duplicate key (first set at line 1)");
}

TEST(YamlNodeTest, DescribeAndPaths) {
  auto n = YAML::Load("{l: [1], m: {a: 1}, s: abc, i: 3, b: true, z: ~}");
  EXPECT_EQ(DescribeNode(n["l"]), "a list");
  EXPECT_EQ(DescribeNode(n["m"]), "a mapping");
  EXPECT_EQ(DescribeNode(n["s"]), "the string \"abc\"");
  EXPECT_EQ(DescribeNode(n["i"]), "the number 3");
  EXPECT_EQ(DescribeNode(n["b"]), "true");
  EXPECT_EQ(DescribeNode(n["z"]), "null");
  EXPECT_EQ(ChildPath("", "a"), "a");
  EXPECT_EQ(ChildPath(IndexPath("methods", 2), "color"), "methods[2].color");
}

}  // namespace
}  // namespace chromatune
