// WebGate (issue 18 items 6 and 7): the local mode's refusals (a cross-origin POST, a DNS
// rebinding Host, a form's content type) and the dashboard's login sessions (cookie
// attributes, CSRF, logout, revocation).
#include "coordinator/web_gate.h"

#include <gtest/gtest.h>

namespace chromatune::coordinator {
namespace {

constexpr const char* kTokens =
    "alice alice-token-0123456789 user\n"
    "vera viewer-token-0123456789 viewer\n";

HttpRequest LocalRequest(const std::string& method, const std::string& path) {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.host = "127.0.0.1:7321";
  r.from_loopback = true;
  if (method == "POST") r.content_type = "application/json";
  return r;
}

TEST(WebGateTest, LocalModeAcceptsWhatThisMachineSends) {
  WebGate gate(std::nullopt);
  EXPECT_TRUE(gate.Authenticate(LocalRequest("GET", "/api/v1/status")).ok());
  auto post = LocalRequest("POST", "/api/v1/sweeps/x/cancel");
  post.origin = "http://localhost:7321";  // the dashboard's own page
  auto who = gate.Authenticate(post);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->user, "local");
  post.content_type = "application/json; charset=utf-8";
  post.origin = "http://[::1]:7321";
  EXPECT_TRUE(gate.Authenticate(post).ok());
}

TEST(WebGateTest, LocalModeRefusesACrossOriginPost) {
  WebGate gate(std::nullopt);
  auto post = LocalRequest("POST", "/api/v1/sweeps/x/cancel");
  post.origin = "https://evil.example";
  auto refused = gate.Authenticate(post);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("Origin"), std::string::npos);
  EXPECT_EQ(gate.Refusal(refused.status()).status, 403);
  post.origin = "null";  // a sandboxed frame or a file: page
  EXPECT_FALSE(gate.Authenticate(post).ok());
}

TEST(WebGateTest, LocalModeRefusesARebindingHostEvenForReads) {
  WebGate gate(std::nullopt);
  for (const char* host : {"evil.example:7321", "evil.example", "127.0.0.1.evil.example",
                           "localhost.evil.example:7321", ""}) {
    auto get = LocalRequest("GET", "/api/v1/dashboard/sweeps");
    get.host = host;
    auto refused = gate.Authenticate(get);
    EXPECT_FALSE(refused.ok()) << host;
  }
}

TEST(WebGateTest, LocalModeRefusesWhatAFormCouldSend) {
  WebGate gate(std::nullopt);
  for (const char* type :
       {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    auto post = LocalRequest("POST", "/api/v1/sweeps/x/cancel");
    post.content_type = type;
    auto refused = gate.Authenticate(post);
    ASSERT_FALSE(refused.ok()) << type;
    EXPECT_NE(refused.status().message().find("application/json"), std::string::npos);
  }
  auto remote = LocalRequest("GET", "/api/v1/status");
  remote.from_loopback = false;
  EXPECT_FALSE(gate.Authenticate(remote).ok());
}

TEST(WebGateTest, LoopbackHostNames) {
  for (const char* yes :
       {"localhost", "LOCALHOST:80", "127.0.0.1", "127.3.2.1:9", "[::1]", "[::1]:7321"}) {
    EXPECT_TRUE(IsLoopbackHostHeader(yes)) << yes;
  }
  for (const char* no :
       {"", "10.0.0.1", "example.com", "localhost:x", "[::1]x", "[::2]:1", "localhost.example"}) {
    EXPECT_FALSE(IsLoopbackHostHeader(no)) << no;
  }
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : gate_(*TokenTable::Parse(kTokens, "tokens")) {}

  // Logs in with `token`; the response.
  HttpResponse Login(const std::string& token, bool tls = false) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/api/v1/session";
    r.content_type = "application/json";
    r.body = nlohmann::json{{"token", token}}.dump();
    r.tls = tls;
    return *gate_.HandleSession(r);
  }
  // "ct_session=ID" of a login's Set-Cookie.
  static std::string Cookie(const HttpResponse& login) {
    const std::string& set = login.headers.at("Set-Cookie");
    return set.substr(0, set.find(';'));
  }
  static HttpRequest WithCookie(const std::string& method, const std::string& path,
                                const std::string& cookie) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.cookie = "theme=dark; " + cookie;
    if (method == "POST") r.content_type = "application/json";
    return r;
  }

  WebGate gate_;
};

TEST_F(SessionTest, LoginSetsAStrictHttpOnlyCookieWithAnExpiry) {
  auto login = Login("alice-token-0123456789");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string set = login.headers.at("Set-Cookie");
  EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos) << set;
  EXPECT_NE(set.find("Max-Age="), std::string::npos) << set;
  EXPECT_EQ(set.find("Secure"), std::string::npos) << "plain HTTP: " << set;
  EXPECT_EQ(set.find("alice-token"), std::string::npos) << "the cookie is not the token";
  auto body = nlohmann::json::parse(login.body);
  EXPECT_EQ(body["user"], "alice");
  EXPECT_EQ(body["role"], "user");
  EXPECT_EQ(body["csrf"].get<std::string>().size(), 64u);
  EXPECT_NE(Login("alice-token-0123456789", /*tls=*/true).headers.at("Set-Cookie").find("Secure"),
            std::string::npos);
  EXPECT_EQ(Login("wrong-token-0123456789").status, 401);
}

TEST_F(SessionTest, ASessionReadsAndChangesStateOnlyWithItsCsrfToken) {
  auto login = Login("alice-token-0123456789");
  const std::string cookie = Cookie(login);
  const std::string csrf = nlohmann::json::parse(login.body)["csrf"];
  auto who = gate_.Authenticate(WithCookie("GET", "/api/v1/dashboard/sweeps", cookie));
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->user, "alice");

  auto post = WithCookie("POST", "/api/v1/sweeps/x/cancel", cookie);
  auto no_csrf = gate_.Authenticate(post);
  ASSERT_FALSE(no_csrf.ok());
  EXPECT_EQ(gate_.Refusal(no_csrf.status()).status, 403);
  EXPECT_NE(no_csrf.status().message().find("X-CSRF-Token"), std::string::npos);
  post.csrf_token = std::string(64, 'a');
  EXPECT_FALSE(gate_.Authenticate(post).ok());
  post.csrf_token = csrf;
  EXPECT_TRUE(gate_.Authenticate(post).ok());
  post.content_type = "text/plain";
  EXPECT_FALSE(gate_.Authenticate(post).ok());

  // Unknown cookies and no credentials: 401 (the page shows its login form).
  auto none = gate_.Authenticate(WithCookie("GET", "/api/v1/status", "ct_session=forged"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(gate_.Refusal(none.status()).status, 401);
}

TEST_F(SessionTest, LogoutAndRevocationEndSessions) {
  const std::string alice = Cookie(Login("alice-token-0123456789"));
  auto login = Login("viewer-token-0123456789");
  const std::string vera = Cookie(login);
  const std::string csrf = nlohmann::json::parse(login.body)["csrf"];
  auto logout = WithCookie("POST", "/api/v1/session/logout", vera);
  EXPECT_EQ(gate_.HandleSession(logout)->status, 403) << "logout without CSRF is refused";
  logout.csrf_token = csrf;
  auto out = gate_.HandleSession(logout);
  ASSERT_EQ(out->status, 200) << out->body;
  EXPECT_NE(out->headers.at("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(gate_.Authenticate(WithCookie("GET", "/api/v1/status", vera)).ok());

  // SIGHUP without alice's token: her session stops working at once.
  EXPECT_TRUE(gate_.Authenticate(WithCookie("GET", "/api/v1/status", alice)).ok());
  ASSERT_TRUE(
      gate_.ReplaceTokens(*TokenTable::Parse("vera viewer-token-0123456789 viewer\n", "t")).ok());
  EXPECT_FALSE(gate_.Authenticate(WithCookie("GET", "/api/v1/status", alice)).ok());
}

TEST_F(SessionTest, TheServersBodyLimitHookJudgesHeadersOnly) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/api/v1/sweeps";
  EXPECT_FALSE(gate_.Authorized(r));
  r.authorization = "Bearer alice-token-0123456789";
  EXPECT_TRUE(gate_.Authorized(r));
  r.authorization = "Bearer nope";
  EXPECT_FALSE(gate_.Authorized(r));
  r.authorization.clear();
  r.cookie = Cookie(Login("alice-token-0123456789"));
  EXPECT_TRUE(gate_.Authorized(r));
}

}  // namespace
}  // namespace chromatune::coordinator
