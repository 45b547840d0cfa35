// HttpClient: a small blocking HTTP/1.1 client (Beast) with one kept-alive connection and a
// deadline per request, for workers and the CLI talking to the coordinator; HTTPS (OpenSSL)
// when the endpoint says so, verifying the server's certificate and name against the
// system's CA store or the endpoint's CA file.
//
// A request on a reused connection that the server has meanwhile closed (idle timeout,
// restart) is retried once on a fresh connection; every other failure is returned:
// kUnavailable (cannot connect, connection lost), kDeadlineExceeded (no answer in time) or
// kPermissionDenied (the server's certificate does not verify: retrying will not help).
// Not thread-safe: one request at a time per client.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"

namespace chromatune::protocol {

struct Endpoint {
  Endpoint() = default;
  Endpoint(std::string host_, int port_, bool tls_ = false, std::string ca_file_ = "")
      : host(std::move(host_)), port(port_), tls(tls_), ca_file(std::move(ca_file_)) {}

  std::string host;
  int port = 0;
  bool tls = false;     // HTTPS
  std::string ca_file;  // PEM CA certificates to verify the server with; empty: the system's
  // "HOST:PORT", or "https://HOST:PORT" with TLS: what ParseEndpoint reads back.
  std::string ToString() const;
};

// "HOST:PORT", "http://HOST:PORT" or "https://HOST:PORT" (IPv6 as "[::1]:PORT");
// kInvalidArgument naming the text otherwise.
Result<Endpoint> ParseEndpoint(const std::string& text);

// ParseEndpoint, then `ca_file` (a client's --ca; may be empty): a CA file means TLS.
Result<Endpoint> ParseEndpoint(const std::string& text, const std::string& ca_file);

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
  // Opens the connection (and the TLS session) of the next request.
  Status Connect(const std::string& where, std::chrono::milliseconds timeout);

  struct Impl;
  Endpoint endpoint_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chromatune::protocol
