#include "coordinator/auth.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace chromatune::coordinator {
namespace {

TEST(AuthTest, ParsesUsersAndTokens) {
  auto t = TokenTable::Parse("# comment\n\nalice 0123456789abcdefXYZ\nbob  fedcba9876543210QQQ \n",
                             "tokens.txt");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto alice = t->Authenticate("Bearer 0123456789abcdefXYZ");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->user, "alice");
  EXPECT_EQ(alice->role, Role::kUser);  // the default role
  auto bob = t->Authenticate("Bearer fedcba9876543210QQQ");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->user, "bob");
}

TEST(AuthTest, ParsesRoles) {
  auto t = TokenTable::Parse(
      "root 0123456789abcdefA admin\nalice 0123456789abcdefB user\nvera 0123456789abcdefC "
      "viewer\nw 0123456789abcdefD worker\nalice 0123456789abcdefE worker\n",
      "tokens.txt");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::pair<const char*, Role> want[] = {{"A", Role::kAdmin},
                                               {"B", Role::kUser},
                                               {"C", Role::kViewer},
                                               {"D", Role::kWorker},
                                               {"E", Role::kWorker}};
  for (const auto& [suffix, role] : want) {
    auto who = t->Authenticate(std::string("Bearer 0123456789abcdef") + suffix);
    ASSERT_TRUE(who.ok()) << suffix;
    EXPECT_EQ(who->role, role) << suffix;
  }
  auto bad = TokenTable::Parse("alice 0123456789abcdefB\nbob 0123456789abcdefC root\n", "t.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.txt:2:"), std::string::npos) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("unknown role \"root\""), std::string::npos);
  EXPECT_FALSE(TokenTable::Parse("a 0123456789abcdefB user extra\n", "t.txt").ok());
}

TEST(AuthTest, AuthorizeNamesTheRule) {
  const Identity viewer{"vera", Role::kViewer}, worker{"w", Role::kWorker};
  const Identity user{"alice", Role::kUser}, admin{"root", Role::kAdmin};
  for (Action a : {Action::kRead, Action::kSubmit, Action::kCancel, Action::kSetPriority,
                   Action::kRegisterGroup, Action::kLease, Action::kReport}) {
    const bool worker_action =
        a == Action::kRegisterGroup || a == Action::kLease || a == Action::kReport;
    EXPECT_TRUE(Authorize(admin, a, "x").ok());
    EXPECT_EQ(Authorize(user, a, "x").ok(), !worker_action);
    EXPECT_EQ(Authorize(worker, a, "x").ok(), worker_action);
    EXPECT_EQ(Authorize(viewer, a, "x").ok(), a == Action::kRead);
  }
  Status s = Authorize(viewer, Action::kSubmit, "POST /api/v1/sweeps");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "user vera (role viewer) may not POST /api/v1/sweeps: viewers may only read");
}

TEST(AuthTest, RefusesMissingWrongAndOtherSchemes) {
  auto t = TokenTable::Parse("alice 0123456789abcdefXYZ\n", "tokens.txt");
  ASSERT_TRUE(t.ok());
  for (const char* header : {"", "Basic YWxpY2U6eA==", "Bearer 0123456789abcdefXY",
                             "Bearer 0123456789abcdefXYZ0", "Bearer "}) {
    auto r = t->Authenticate(header);
    EXPECT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << header;
  }
}

TEST(AuthTest, BadFilesNameTheLine) {
  auto fields = TokenTable::Parse("alice 0123456789abcdefXYZ\nbob\n", "t.txt");
  ASSERT_FALSE(fields.ok());
  EXPECT_NE(fields.status().message().find("t.txt:2:"), std::string::npos);
  auto short_token = TokenTable::Parse("alice short\n", "t.txt");
  ASSERT_FALSE(short_token.ok());
  EXPECT_NE(short_token.status().message().find("shorter than 16"), std::string::npos);
  auto dup = TokenTable::Parse("a 0123456789abcdefXYZ\nb 0123456789abcdefXYZ\n", "t.txt");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("t.txt:2:"), std::string::npos);
  EXPECT_FALSE(TokenTable::Parse("# only a comment\n", "t.txt").ok());
  auto missing = TokenTable::Load("/nonexistent/tokens.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/tokens.txt"), std::string::npos);
}

TEST(AuthTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(AuthTest, ClientTokenFromEitherFileShape) {
  const std::string path = ::testing::TempDir() + "/client_token.txt";
  { std::ofstream(path) << "# mine\nalice 0123456789abcdefXYZ\n"; }
  auto t = ReadClientToken(path);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "0123456789abcdefXYZ");
  { std::ofstream(path) << "justatoken0123456789\n"; }
  t = ReadClientToken(path);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "justatoken0123456789");
  { std::ofstream(path) << "w worker-token-0123456789 worker\n"; }
  t = ReadClientToken(path);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "worker-token-0123456789");
  { std::ofstream(path) << "\n"; }
  EXPECT_FALSE(ReadClientToken(path).ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace chromatune::coordinator
