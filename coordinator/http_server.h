// HttpServer: an HTTP/1.1 server on Boost.Asio/Beast with keep-alive, a deadline per
// request, a body size limit and answers that may come later (long poll).
//
// Every connection is served asynchronously on its own strand, so a slow or stalled client
// costs one socket and one timer, never a thread: a client that has not delivered a whole
// request within `request_timeout` (counted from the moment the server starts waiting for
// it, which includes idle keep-alive time) is disconnected. Bodies over `body_limit` get
// 413 and the connection is closed; requests that are not HTTP get 400 and a close.
//
// Thread safety: Listen/Start/Stop from one controlling thread; CloseAllConnections and
// the Responder from any thread. The handler runs on the server's I/O threads and must not
// block for long (it may keep the Responder and answer later).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
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
  // A client must deliver each whole request within this time (slow-loris defence; also the
  // keep-alive idle limit). Clients reconnect transparently after an idle close.
  std::chrono::milliseconds request_timeout{15000};
  // I/O threads. The coordinator's routes serialise on the store anyway; two threads keep
  // writes of large responses from delaying other connections.
  int threads = 2;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; port 0 picks a free port. Returns the bound port. Errors name the
  // address (kUnavailable when it is in use, kInvalidArgument when it does not parse).
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

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace chromatune::coordinator
