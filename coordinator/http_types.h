// Plain request/response values between the HTTP server (Beast) and the coordinator's
// routes, so that routes are tested without sockets and never see Beast types.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace chromatune::coordinator {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string, e.g. "/api/v1/status"
  std::map<std::string, std::string> query;  // decoded "?a=1&b=2"
  std::string authorization;                 // the Authorization header, may be empty
  std::string body;
  bool from_loopback = false;  // the peer address is 127.0.0.0/8 or ::1
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (e.g. WWW-Authenticate on 401).
  std::map<std::string, std::string> headers;

  static HttpResponse Json(int status, const nlohmann::json& body);
  // {"error": message}; the message names what is wrong (field, route, limit).
  static HttpResponse Error(int status, const std::string& message);
};

// Delivers the response of one request. Call exactly once, from any thread; calls after
// the connection closed are ignored.
using Responder = std::function<void(HttpResponse)>;

// Handles one request; may answer at once or keep `respond` and answer later (long poll).
using HttpHandler = std::function<void(HttpRequest request, Responder respond)>;

// Splits "path?query" into path and decoded query parameters (%XX and '+').
void ParseTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query);

}  // namespace chromatune::coordinator
