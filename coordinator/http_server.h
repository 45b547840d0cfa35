// HttpServer: an HTTP/1.1 server on Boost.Asio/Beast, plain or over TLS (OpenSSL), with
// keep-alive, a deadline per request, body limits, connection caps and answers that may come
// later (long poll).
//
// Every connection is served asynchronously on its own strand, so a slow or stalled client
// costs one socket and one timer, never a thread: a client that has not delivered a whole
// request within `request_timeout` (counted from the moment the server starts waiting for
// it, which includes idle keep-alive time), plus the upload allowance its Content-Length
// earns (`min_upload_rate`), is disconnected.
//
// Headers are read first: the `authorized` hook judges them, and a request it does not
// accept may carry at most `unauthenticated_body_limit` bytes, so a large body without a
// valid token is refused (413) before any of it is buffered. Bodies over `body_limit` get 413
// and the connection is closed; requests that are not HTTP get 400 and a close; with TLS, a
// plain-HTTP request gets a plain 400 saying to use https.
//
// Connections beyond `max_connections` (or `max_connections_per_peer` from one address) are
// closed at once, with a log line (at most one a second, with the count refused since).
// Accept errors such as EMFILE pause accepting for `accept_backoff` instead of spinning.
// Every response carries the security headers of SecurityHeaders().
//
// Thread safety: Listen/Start/Stop from one controlling thread; CloseAllConnections and
// the Responder from any thread. The handler and the hook run on the server's I/O threads and
// must not block for long (the handler may keep the Responder and answer later).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "coordinator/http_types.h"

namespace chromatune::coordinator {

struct HttpServerOptions {
  // Largest accepted request body. Results carry arrays (predictions, prompt vectors), so
  // this is generous; anything bigger is refused with 413.
  size_t body_limit = 64 * 1024 * 1024;
  // Largest body of a request that `authorized` refuses: enough for a login or an error
  // reply to be worth reading, small enough that anonymous requests cost nothing.
  size_t unauthenticated_body_limit = 64 * 1024;
  // A client must deliver each whole request within this time (slow-loris defence; also the
  // keep-alive idle limit). Clients reconnect transparently after an idle close.
  std::chrono::milliseconds request_timeout{15000};
  // Uploads get Content-Length / this many bytes a second on top of request_timeout, so a
  // 64 MiB result over a slow link is not cut off while a slow loris still is.
  size_t min_upload_rate = 1024 * 1024;
  // I/O threads. The coordinator's routes serialise on the store anyway; two threads keep
  // writes of large responses from delaying other connections.
  int threads = 2;
  // Open connections at most (0: no cap): below the usual 65,536 file descriptors with room
  // for the stores, and above a lab's 1,000 worker groups with lease-ahead.
  size_t max_connections = 8192;
  // Open connections from one peer address at most (0: no cap, the default: many worker
  // groups may share a host, or loopback).
  size_t max_connections_per_peer = 0;
  // How long accepting pauses after an accept error (EMFILE, ENFILE, ENOBUFS).
  std::chrono::milliseconds accept_backoff{100};
  // TLS: a PEM certificate chain and its private key; both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Judges a request by its headers (the body is still unread): true when it carries valid
  // credentials. Unset: every request counts as authorized.
  std::function<bool(const HttpRequest& head)> authorized;
};

// Headers every response carries: a Content-Security-Policy that allows only this origin's
// scripts, styles and data and no framing (frame-ancestors 'none'), X-Content-Type-Options
// nosniff, X-Frame-Options DENY, Referrer-Policy no-referrer.
const std::map<std::string, std::string>& SecurityHeaders();

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS certificate and key when the options name them, binds and listens; port 0
  // picks a free port. Returns the bound port. Errors name the address (kUnavailable when it
  // is in use, kInvalidArgument when it does not parse) or the TLS file (kInvalidArgument).
  Result<int> Listen(const std::string& host, int port);
  // Starts the I/O threads; returns at once.
  void Start();
  // Closes the listener and every connection and joins the threads. Idempotent.
  void Stop();
  // Closes every open connection (the listener stays): used by tests and by an operator
  // to force workers to reconnect.
  void CloseAllConnections();
  // Number of connections currently open.
  size_t connection_count() const;
  // True when the server speaks TLS.
  bool tls() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace chromatune::coordinator
