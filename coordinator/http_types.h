// Plain request/response values between the HTTP server (Beast) and the coordinator's
// routes, so that routes are tested without sockets and never see Beast types.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chromatune::coordinator {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string, e.g. "/api/v1/status"
  std::map<std::string, std::string> query;  // decoded "?a=1&b=2"
  std::string authorization;                 // the Authorization header, may be empty
  // Headers the web checks read (coordinator/web_gate.h); each may be empty.
  std::string host;          // Host
  std::string origin;        // Origin (browsers send it on cross-origin and POST requests)
  std::string content_type;  // Content-Type
  std::string cookie;        // Cookie
  std::string csrf_token;    // X-CSRF-Token (the dashboard's session requests)
  std::string body;
  bool from_loopback = false;  // the peer address is 127.0.0.0/8 or ::1
  bool tls = false;            // the request came over TLS (cookies get Secure)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (e.g. WWW-Authenticate on 401).
  std::map<std::string, std::string> headers;

  // Serialises `body`; a string that is not valid UTF-8 is written with U+FFFD in place of
  // the bad bytes instead of throwing (a message may quote what a client sent).
  static HttpResponse Json(int status, const nlohmann::json& body);
  // {"error": message}; the message names what is wrong (field, route, limit).
  static HttpResponse Error(int status, const std::string& message);
};

// Delivers the response of one request. Call exactly once, from any thread; calls after
// the connection closed are ignored.
using Responder = std::function<void(HttpResponse)>;

// Handles one request; may answer at once or keep `respond` and answer later (long poll).
using HttpHandler = std::function<void(HttpRequest request, Responder respond)>;

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). The server answers 400 to a request whose path, query or headers are not.
bool IsValidUtf8(std::string_view text);

// Splits "path?query" into path and decoded query parameters (%XX and '+').
void ParseTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query);

}  // namespace chromatune::coordinator
