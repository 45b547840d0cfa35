#include "coordinator/web_gate.h"

#include <openssl/rand.h>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

#include "common/wall_clock.h"
#include "coordinator/json_fields.h"

namespace chromatune::coordinator {
namespace {

constexpr const char* kCookie = "ct_session";
constexpr const char* kSessionPath = "/api/v1/session";
constexpr const char* kLogoutPath = "/api/v1/session/logout";

bool StateChanging(const HttpRequest& r) { return r.method != "GET" && r.method != "HEAD"; }

// "application/json", "application/json; charset=utf-8": the media type, lower case.
bool IsJsonContentType(const std::string& value) {
  std::string type = value.substr(0, value.find(';'));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return c == ' '; }),
             type.end());
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type == "application/json";
}

std::string CookieHeader(const std::string& value, int64_t max_age_s, bool secure) {
  return std::string(kCookie) + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age_s) +
         "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
}

}  // namespace

std::string CookieValue(const std::string& cookie_header, const std::string& name) {
  size_t start = 0;
  while (start < cookie_header.size()) {
    size_t end = cookie_header.find(';', start);
    if (end == std::string::npos) end = cookie_header.size();
    std::string part = cookie_header.substr(start, end - start);
    const size_t first = part.find_first_not_of(' ');
    part = first == std::string::npos ? "" : part.substr(first);
    const size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    start = end + 1;
  }
  return "";
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // OpenSSL's generator failing is an unusable system: never hand out a guessable secret.
    std::abort();
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool IsLoopbackHostHeader(const std::string& host) {
  std::string name = host;
  if (!name.empty() && name.front() == '[') {  // [::1] or [::1]:PORT
    const size_t close = name.find(']');
    if (close == std::string::npos) return false;
    const std::string rest = name.substr(close + 1);
    if (!rest.empty() &&
        (rest[0] != ':' || rest.find_first_not_of("0123456789", 1) != std::string::npos)) {
      return false;
    }
    name = name.substr(1, close - 1);
  } else if (const size_t colon = name.find(':'); colon != std::string::npos) {
    if (name.find_first_not_of("0123456789", colon + 1) != std::string::npos) return false;
    name = name.substr(0, colon);
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(name, ec);
  return !ec && address.is_loopback();
}

WebGate::WebGate(std::optional<TokenTable> tokens, WebGateOptions options)
    : local_(!tokens.has_value()), options_(options) {
  if (tokens) tokens_ = std::make_shared<const TokenTable>(std::move(*tokens));
}

Status WebGate::ReplaceTokens(TokenTable tokens) {
  if (local_) {
    return FailedPrecondition("this coordinator runs with --insecure-loopback: no token file");
  }
  auto table = std::make_shared<const TokenTable>(std::move(tokens));
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(table);
  return Status::Ok();
}

std::shared_ptr<const TokenTable> WebGate::Tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_;
}

Status WebGate::CheckLocal(const HttpRequest& r) const {
  if (!local_) return Status::Ok();
  if (!r.from_loopback) {
    return PermissionDenied(
        "this server runs in local mode (--insecure-loopback) and serves loopback clients only");
  }
  if (!IsLoopbackHostHeader(r.host)) {
    return PermissionDenied("Host \"" + r.host +
                            "\" is not a loopback name: a local-mode server answers requests for "
                            "localhost, 127.0.0.1 or [::1] only (DNS rebinding)");
  }
  if (!r.origin.empty()) {
    const size_t scheme = r.origin.find("://");
    const std::string proto = scheme == std::string::npos ? "" : r.origin.substr(0, scheme);
    if ((proto != "http" && proto != "https") ||
        !IsLoopbackHostHeader(r.origin.substr(scheme + 3))) {
      return PermissionDenied("Origin \"" + r.origin +
                              "\" is not this machine: a local-mode server refuses requests "
                              "from other web pages");
    }
  }
  if (StateChanging(r) && !IsJsonContentType(r.content_type)) {
    return PermissionDenied(r.method + " " + r.path +
                            " needs Content-Type: application/json (a local-mode server refuses "
                            "what a web form could send)");
  }
  return Status::Ok();
}

std::optional<WebGate::Session> WebGate::FindSession(const HttpRequest& r) const {
  const std::string id = CookieValue(r.cookie, kCookie);
  if (id.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.expires_ms <= WallClockMs()) return std::nullopt;
  return it->second;
}

Result<Identity> WebGate::Authenticate(const HttpRequest& r) const {
  if (local_) {
    CT_RETURN_IF_ERROR(CheckLocal(r));
    return Identity{"local", Role::kAdmin};
  }
  auto tokens = Tokens();
  if (!r.authorization.empty()) return tokens->Authenticate(r.authorization);
  auto session = FindSession(r);
  if (!session) {
    return PermissionDenied(r.cookie.empty() ? "missing Authorization: Bearer token"
                                             : "no valid session: log in again");
  }
  CT_ASSIGN_OR_RETURN(Identity who, tokens->Authenticate("Bearer " + session->token));
  if (StateChanging(r)) {
    // The cookie comes with every request the browser sends to this site, whoever made the
    // page; only the page that logged in knows the CSRF token.
    if (r.csrf_token.empty() || !ConstantTimeEquals(r.csrf_token, session->csrf)) {
      return FailedPrecondition(r.method + " " + r.path +
                                ": a session request must carry its X-CSRF-Token");
    }
    if (!IsJsonContentType(r.content_type)) {
      return FailedPrecondition(r.method + " " + r.path + " needs Content-Type: application/json");
    }
  }
  return who;
}

HttpResponse WebGate::Refusal(const Status& status) const {
  if (local_ || status.code() != StatusCode::kPermissionDenied) {
    return HttpResponse::Error(403, status.message());
  }
  HttpResponse r = HttpResponse::Error(401, status.message());
  r.headers["WWW-Authenticate"] = "Bearer realm=\"chromatune\"";
  return r;
}

bool WebGate::Authorized(const HttpRequest& head) const {
  if (local_) return CheckLocal(head).ok();
  auto tokens = Tokens();
  if (!head.authorization.empty()) return tokens->Authenticate(head.authorization).ok();
  auto session = FindSession(head);
  return session && tokens->Authenticate("Bearer " + session->token).ok();
}

std::optional<HttpResponse> WebGate::HandleSession(const HttpRequest& r) {
  if (r.path == kSessionPath && r.method == "POST") return Login(r);
  if (r.path == kSessionPath && (r.method == "GET" || r.method == "HEAD")) return WhoAmI(r);
  if (r.path == kLogoutPath && r.method == "POST") return Logout(r);
  if (r.path == kSessionPath || r.path == kLogoutPath) {
    return HttpResponse::Error(405, r.method + " " + r.path + " is not allowed");
  }
  return std::nullopt;
}

HttpResponse WebGate::WhoAmI(const HttpRequest& r) const {
  auto who = Authenticate(r);
  if (!who.ok()) return Refusal(who.status());
  nlohmann::json body = {
      {"user", who->user}, {"role", RoleName(who->role)}, {"mode", local_ ? "local" : "token"}};
  if (auto session = local_ ? std::nullopt : FindSession(r)) {
    body["csrf"] = session->csrf;
    body["expires_ms"] = session->expires_ms;
  }
  return HttpResponse::Json(200, body);
}

HttpResponse WebGate::Login(const HttpRequest& r) {
  if (local_) {
    Status local = CheckLocal(r);
    if (!local.ok()) return Refusal(local);
    return HttpResponse::Json(200, {{"user", "local"}, {"role", "admin"}, {"mode", "local"}});
  }
  if (!IsJsonContentType(r.content_type)) {
    return HttpResponse::Error(400, "POST /api/v1/session needs Content-Type: application/json");
  }
  auto body = ParseJsonObject(r.body, "POST /api/v1/session");
  if (!body.ok()) return HttpResponse::Error(400, body.status().message());
  auto token = JsonFields(*body, "POST /api/v1/session").String("token");
  if (!token.ok()) return HttpResponse::Error(400, token.status().message());
  auto who = Tokens()->Authenticate("Bearer " + *token);
  if (!who.ok()) return HttpResponse::Error(401, "login refused: " + who.status().message());
  Session session{
      *token, RandomHex(32),
      WallClockMs() +
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_lifetime).count()};
  const std::string id = RandomHex(32);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = WallClockMs();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second.expires_ms <= now ? sessions_.erase(it) : std::next(it);
    }
    while (sessions_.size() >= options_.max_sessions) {
      auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
        return a.second.expires_ms < b.second.expires_ms;
      });
      sessions_.erase(oldest);
    }
    sessions_[id] = session;
  }
  HttpResponse out = HttpResponse::Json(200, {{"user", who->user},
                                              {"role", RoleName(who->role)},
                                              {"mode", "token"},
                                              {"csrf", session.csrf},
                                              {"expires_ms", session.expires_ms}});
  out.headers["Set-Cookie"] = CookieHeader(id, options_.session_lifetime.count(), r.tls);
  out.headers["Cache-Control"] = "no-store";
  return out;
}

HttpResponse WebGate::Logout(const HttpRequest& r) {
  if (!local_) {
    // Logging out is a state change too: a foreign page must not end a user's session.
    auto who = Authenticate(r);
    if (!who.ok()) return Refusal(who.status());
    const std::string id = CookieValue(r.cookie, kCookie);
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(id);
  }
  HttpResponse out = HttpResponse::Json(200, {{"logged_out", true}});
  out.headers["Set-Cookie"] = CookieHeader("", 0, r.tls);
  return out;
}

}  // namespace chromatune::coordinator
