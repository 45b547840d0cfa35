// Api: the HTTP routes of the coordinator under /api/v1/ (docs/protocol.md): auth, request
// validation (400 naming the field), status mapping, and the calls into Coordinator.
//
// Auth: with a TokenTable every route but /api/v1/health needs "Authorization: Bearer
// TOKEN" (401 otherwise). Without one (--insecure-loopback) requests must come from a
// loopback address (403 otherwise) and act as user "local", or as the token's user when a
// known token is presented anyway.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "coordinator/auth.h"
#include "coordinator/coordinator.h"
#include "coordinator/http_types.h"

namespace chromatune::coordinator {

// Status code -> HTTP status: kInvalidArgument and kResourceExhausted 400,
// kPermissionDenied 401, kNotFound 404, kFailedPrecondition and kAlreadyExists 409,
// kUnavailable 503, anything else 500.
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

  // Extra routes served beside the API (the read-only dashboard): requests whose path
  // `routes.serves` accepts go to `routes.handler`; those under /api/v1/ after the same
  // authentication as the API. Call before the server starts.
  void SetExtraRoutes(ExtraRoutes routes) { extra_ = std::move(routes); }

 private:
  // The authenticated user, or the error response to send.
  Result<std::string> Authenticate(const HttpRequest& request) const;
  HttpResponse Route(const HttpRequest& request, const std::string& user, const Responder& respond,
                     bool* deferred);

  Coordinator* coordinator_;
  std::optional<TokenTable> tokens_;
  ExtraRoutes extra_;
};

}  // namespace chromatune::coordinator
