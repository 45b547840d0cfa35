#include "coordinator/http_types.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

TEST(HttpTypesTest, ParseTargetSplitsAndDecodes) {
  std::string path;
  std::map<std::string, std::string> query;
  ParseTarget("/api/v1/sweeps/a%20b?x=1&y=two+words&flag&z=%41", &path, &query);
  EXPECT_EQ(path, "/api/v1/sweeps/a b");
  EXPECT_EQ(query.at("x"), "1");
  EXPECT_EQ(query.at("y"), "two words");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("z"), "A");
  ParseTarget("/plain", &path, &query);
  EXPECT_EQ(path, "/plain");
  EXPECT_TRUE(query.empty());
  ParseTarget("/bad%zz%4", &path, &query);
  EXPECT_EQ(path, "/bad%zz%4");  // invalid escapes stay literal
}

TEST(HttpTypesTest, ErrorBodiesAreJson) {
  auto r = HttpResponse::Error(404, "no route GET /x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "no route GET /x");
  EXPECT_EQ(r.content_type, "application/json");
}

}  // namespace
}  // namespace chromatune::coordinator
