// Api: the HTTP routes of the coordinator under /api/v1/ (docs/protocol.md): auth, request
// validation (400 naming the field), status mapping, and the calls into Coordinator.
//
// Auth (web_gate.h): with a TokenTable every route but /api/v1/health needs "Authorization:
// Bearer TOKEN" or a dashboard session (401 otherwise), and the token's role must allow the
// route (roles.h; 403 naming the rule otherwise). Without one (--insecure-loopback) requests
// must come from a loopback address with a loopback Host and Origin, state changes with a
// JSON body (403 otherwise), and act as user "local" with the admin role (the one user of
// that machine's coordinator). The session routes /api/v1/session[/logout] are the
// WebGate's.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "coordinator/auth.h"
#include "coordinator/coordinator.h"
#include "coordinator/http_types.h"
#include "coordinator/web_gate.h"

namespace chromatune::coordinator {

// Status code -> HTTP status: kInvalidArgument and kResourceExhausted 400,
// kPermissionDenied 403 (a role or ownership refusal; authentication failures are answered
// 401 by the Api itself), kCancelled 403 (a quarantined worker group: the reply also says
// "stop": true), kNotFound 404, kFailedPrecondition and kAlreadyExists 409, kUnavailable 503,
// anything else 500.
int HttpStatusFor(const Status& status);

// Pages served next to the API by the same server (see Api::SetExtraRoutes).
struct ExtraRoutes {
  std::function<bool(const std::string& path)> serves;
  HttpHandler handler;
};

class Api {
 public:
  // `coordinator` must outlive the Api. `tokens` empty: insecure loopback mode.
  Api(Coordinator* coordinator, std::optional<TokenTable> tokens);

  // The HttpHandler of the server.
  void Handle(HttpRequest request, Responder respond);

  // Replaces the token table (SIGHUP: revocation without a restart); requests already
  // authenticated finish with the old one. kFailedPrecondition in --insecure-loopback mode.
  Status ReplaceTokens(TokenTable tokens);

  // Whether a request's headers carry valid credentials: the HTTP server's hook that gives
  // anonymous requests a small body limit (HttpServerOptions::authorized).
  bool Authorized(const HttpRequest& head) const { return gate_.Authorized(head); }

  // Extra routes served beside the API (the read-only dashboard): requests whose path
  // `routes.serves` accepts go to `routes.handler`; those under /api/v1/ after the same
  // authentication as the API. Call before the server starts.
  void SetExtraRoutes(ExtraRoutes routes) { extra_ = std::move(routes); }

 private:
  HttpResponse Route(const HttpRequest& request, const Identity& who, const Responder& respond,
                     bool* deferred);

  Coordinator* coordinator_;
  WebGate gate_;  // tokens, dashboard sessions, local-mode checks
  ExtraRoutes extra_;
};

}  // namespace chromatune::coordinator
