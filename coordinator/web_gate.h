// WebGate: who a request acts as, and the checks that keep web pages from acting for
// anyone (issue 18 items 6 and 7). Used by the coordinator's Api and by the standalone
// `chromatune dashboard`.
//
// Token mode (a TokenTable): a request presents "Authorization: Bearer TOKEN", or the session
// cookie of a dashboard login. POST /api/v1/session with {"token": T} checks the token and
// answers its user and role, a CSRF token, and a cookie `ct_session` (HttpOnly,
// SameSite=Strict, Path=/, Max-Age of the session's lifetime, Secure over TLS); the session
// acts with that token, re-checked against the table in force on every request (so a
// SIGHUP that revokes the token ends its sessions). A state-changing request (not GET or
// HEAD) authenticated by the cookie must carry the session's token in "X-CSRF-Token" and a
// JSON body type. GET /api/v1/session says who the caller is; POST /api/v1/session/logout
// ends the session.
//
// Local mode (no table: --insecure-loopback, `chromatune run`, the dashboard on loopback):
// every caller on a loopback address acts as user "local" with the admin role, so every
// request must show that it comes from this machine and not from a web page: its Host is a
// loopback name (localhost, 127.0.0.0/8, [::1], with any port: DNS rebinding sends the
// attacker's name), an Origin, when present, is http(s):// of a loopback name, and a
// state-changing request has Content-Type application/json (a cross-origin page can only
// send that after a CORS preflight, which this server never grants).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"
#include "coordinator/auth.h"
#include "coordinator/http_types.h"

namespace chromatune::coordinator {

struct WebGateOptions {
  // A login lasts this long (a working day and a half): long enough not to interrupt a
  // day's work, short enough that a forgotten browser does not hold access for weeks.
  std::chrono::seconds session_lifetime{36 * 3600};
  // Sessions kept at most; the oldest goes first (a login loop cannot exhaust memory).
  size_t max_sessions = 10000;
};

class WebGate {
 public:
  // `tokens` empty: local mode.
  explicit WebGate(std::optional<TokenTable> tokens, WebGateOptions options = {});

  bool local() const { return local_; }

  // Replaces the token table (SIGHUP); sessions of tokens no longer present stop working.
  // kFailedPrecondition in local mode.
  Status ReplaceTokens(TokenTable tokens);

  // The session routes (see above); nullopt for every other path.
  std::optional<HttpResponse> HandleSession(const HttpRequest& request);

  // Who the request acts as. Refusals: kPermissionDenied (no valid credentials, or a local-mode
  // check failed) and kFailedPrecondition (a cookie request without its CSRF token or JSON
  // body type). Refusal() turns them into the answer.
  Result<Identity> Authenticate(const HttpRequest& request) const;
  HttpResponse Refusal(const Status& status) const;

  // Whether the request's headers carry valid credentials (token mode), or pass the local
  // checks (local mode): the HTTP server's hook for the body limit of anonymous requests.
  bool Authorized(const HttpRequest& head) const;

  // Local mode's checks of Host, Origin and Content-Type (see above); Ok in token mode.
  Status CheckLocal(const HttpRequest& request) const;

 private:
  struct Session {
    std::string token;
    std::string csrf;
    int64_t expires_ms = 0;
  };
  std::shared_ptr<const TokenTable> Tokens() const;
  // The live session named by the request's cookie, or nullopt.
  std::optional<Session> FindSession(const HttpRequest& request) const;
  HttpResponse Login(const HttpRequest& request);
  HttpResponse Logout(const HttpRequest& request);
  HttpResponse WhoAmI(const HttpRequest& request) const;

  const bool local_;
  const WebGateOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const TokenTable> tokens_;  // swapped whole by ReplaceTokens
  std::map<std::string, Session> sessions_;   // by session id
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(const std::string& cookie_header, const std::string& name);

// `bytes` random bytes from OpenSSL's generator, as lower-case hex.
std::string RandomHex(size_t bytes);

// True for a Host header (or an Origin's host part) naming this machine: localhost,
// 127.0.0.0/8 or [::1], with or without ":PORT".
bool IsLoopbackHostHeader(const std::string& host);

}  // namespace chromatune::coordinator
