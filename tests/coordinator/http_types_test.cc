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

TEST(HttpTypesTest, Utf8ValidationRejectsEveryMalformedShape) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain /api/v1"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsValidUtf8("/\xFF"));             // the byte that killed the server
  EXPECT_FALSE(IsValidUtf8("\x80"));              // continuation without a lead
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xC3x"));             // lead followed by ASCII
}

TEST(HttpTypesTest, JsonWithInvalidUtf8IsWrittenNotThrown) {
  // A message that quotes what a client sent must not throw while being serialised.
  HttpResponse r;
  ASSERT_NO_THROW(r = HttpResponse::Error(404, "no route GET /\xFF"));
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "no route GET /\xEF\xBF\xBD");
}

}  // namespace
}  // namespace chromatune::coordinator
