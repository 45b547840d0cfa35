// HttpClient: a small blocking HTTP/1.1 client (Beast) with one kept-alive connection and a
// deadline per request, for workers and the CLI talking to the coordinator.
//
// A request on a reused connection that the server has meanwhile closed (idle timeout,
// restart) is retried once on a fresh connection; every other failure is returned:
// kUnavailable (cannot connect, connection lost) or kDeadlineExceeded (no answer in time).
// Not thread-safe: one request at a time per client.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"

namespace chromatune::protocol {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "HOST:PORT" (IPv6 as "[::1]:PORT"); kInvalidArgument naming the text otherwise.
Result<Endpoint> ParseEndpoint(const std::string& text);

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(Endpoint endpoint);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (body as application/json when not empty) with "Authorization:
  // Bearer TOKEN" when `token` is not empty, and waits up to `timeout` for the reply.
  Result<HttpReply> Request(const std::string& method, const std::string& target,
                            const std::string& body, const std::string& token,
                            std::chrono::milliseconds timeout);
  // Drops the connection (the next request opens a new one).
  void Disconnect();

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  struct Impl;
  Endpoint endpoint_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chromatune::protocol
