#include "coordinator/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <optional>

#include "common/log.h"

namespace chromatune::coordinator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;

class Session;

// What a Responder refers to: the session waiting for that answer. A handler may keep its
// Responder on a thread of its own for as long as it likes, so the Responder must not own
// the session (the session's socket and timer must go before the server's io_context);
// the slot does, until the answer is posted or the server stops (PendingAnswers::DropAll).
struct AnswerSlot {
  std::mutex mu;
  std::shared_ptr<Session> session;  // empty once answered or dropped
};

// The slots of answers not given yet, weakly: a slot lives as long as its Responder.
class PendingAnswers {
 public:
  std::shared_ptr<AnswerSlot> Add(std::shared_ptr<Session> session) {
    auto slot = std::make_shared<AnswerSlot>();
    slot->session = std::move(session);
    std::lock_guard<std::mutex> lock(mu_);
    slots_.erase(std::remove_if(slots_.begin(), slots_.end(),
                                [](const std::weak_ptr<AnswerSlot>& w) { return w.expired(); }),
                 slots_.end());
    slots_.push_back(slot);
    return slot;
  }

  // Releases every waiting session; a Responder called afterwards does nothing. Called with
  // the io_context still alive, so the sessions' sockets and timers close against it.
  void DropAll() {
    std::vector<std::shared_ptr<AnswerSlot>> live;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& w : slots_) {
        if (auto slot = w.lock()) live.push_back(std::move(slot));
      }
      slots_.clear();
    }
    for (auto& slot : live) {
      std::lock_guard<std::mutex> lock(slot->mu);
      slot->session.reset();
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<AnswerSlot>> slots_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, HttpHandler handler,
          std::shared_ptr<PendingAnswers> pending)
      : stream_(std::move(socket)),
        options_(options),
        handler_(std::move(handler)),
        pending_(std::move(pending)) {
    beast::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    loopback_ = !ec && peer.address().is_loopback();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Safe from any thread: the close runs on the session's strand.
  void Close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
  }

 private:
  void Read() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(options_.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || closed_) {
      DoClose();
      return;
    }
    if (ec == http::error::body_limit) {
      WriteFinal(HttpResponse::Error(413, "request body exceeds the limit of " +
                                              std::to_string(options_.body_limit) + " bytes"));
      return;
    }
    if (ec == http::error::header_limit) {
      WriteFinal(HttpResponse::Error(
          431, "request headers exceed " + std::to_string(kHeaderLimit) + " bytes"));
      return;
    }
    if (ec) {
      WriteFinal(HttpResponse::Error(400, "malformed HTTP request: " + ec.message()));
      return;
    }
    stream_.expires_never();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequest request;
    request.method = std::string(req.method_string());
    ParseTarget(std::string(req.target()), &request.path, &request.query);
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    request.from_loopback = loopback_;
    if (const char* bad = FirstInvalidUtf8(req, request)) {
      WriteFinal(HttpResponse::Error(
          400, std::string("malformed request: the ") + bad + " is not valid UTF-8"));
      return;
    }
    Responder respond = [slot = pending_->Add(shared_from_this())](HttpResponse response) {
      // Under the slot's lock, so DropAll (server stopping) either runs first and this does
      // nothing, or waits until the session has moved into the posted handler: no reference
      // to it is left on this thread, whatever happens to the server afterwards.
      std::lock_guard<std::mutex> lock(slot->mu);
      if (!slot->session) return;  // answered already, or the server stopped
      auto executor = slot->session->stream_.get_executor();
      net::post(executor, [self = std::move(slot->session), response = std::move(response)]() {
        self->Write(response);
      });
    };
    // A handler that throws answers 500 and the server goes on: nothing a request does may
    // reach ioc.run() (an escaped exception would end the I/O thread, or the process).
    const std::string what = request.method + " " + request.path;
    Responder fallback = respond;
    try {
      handler_(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      spdlog::error("http: {} failed: {}", what, e.what());
      fallback(HttpResponse::Error(500, "internal error while handling " + what));
    } catch (...) {
      spdlog::error("http: {} failed with an unknown exception", what);
      fallback(HttpResponse::Error(500, "internal error while handling " + what));
    }
  }

  // The part of a request that is not UTF-8 ("path", "query", "header NAME"), or null.
  static const char* FirstInvalidUtf8(const http::request<http::string_body>& req,
                                      const HttpRequest& request) {
    if (!IsValidUtf8(request.path)) return "path";
    for (const auto& [name, value] : request.query) {
      if (!IsValidUtf8(name) || !IsValidUtf8(value)) return "query";
    }
    auto view = [](beast::string_view s) { return std::string_view(s.data(), s.size()); };
    for (const auto& field : req) {
      if (!IsValidUtf8(view(field.name_string())) || !IsValidUtf8(view(field.value()))) {
        return "header";
      }
    }
    return nullptr;
  }

  void WriteFinal(HttpResponse response) {
    keep_alive_ = false;
    Write(response);
  }

  void Write(const HttpResponse& response) {
    if (closed_) return;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version_ == 0 ? 11 : version_);
    res->set(http::field::server, "chromatune");
    res->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    res->body() = response.body;
    res->prepare_payload();
    stream_.expires_after(options_.request_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) {
                          self->DoClose();
                        } else {
                          self->Read();
                        }
                      });
  }

  void DoClose() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  HttpServerOptions options_;
  HttpHandler handler_;
  std::shared_ptr<PendingAnswers> pending_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool loopback_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool closed_ = false;
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, HttpHandler h)
      : options(std::move(o)), handler(std::move(h)), acceptor(ioc) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        auto session = std::make_shared<Session>(std::move(s), options, handler, pending);
        {
          std::lock_guard<std::mutex> lock(mu);
          // Forget connections that are gone, so the list stays as long as the open set.
          sessions.erase(
              std::remove_if(sessions.begin(), sessions.end(),
                             [](const std::weak_ptr<Session>& w) { return w.expired(); }),
              sessions.end());
          sessions.push_back(session);
        }
        session->Start();
      } else {
        spdlog::warn("http: accept failed: {}", ec.message());
      }
      Accept();
    });
  }

  HttpServerOptions options;
  HttpHandler handler;
  std::shared_ptr<PendingAnswers> pending = std::make_shared<PendingAnswers>();
  net::io_context ioc;
  tcp::acceptor acceptor;
  mutable std::mutex mu;
  std::vector<std::weak_ptr<Session>> sessions;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Listen(const std::string& host, int port) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return InvalidArgument("listen address \"" + host + "\" is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  auto& acceptor = impl_->acceptor;
  const std::string where = host + ":" + std::to_string(port);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return Unavailable("cannot open a socket for " + where + ": " + ec.message());
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
  return static_cast<int>(acceptor.local_endpoint().port());
}

void HttpServer::Start() {
  if (started_) return;
  started_ = true;
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    threads_.emplace_back([impl = impl_] {
      // A completion handler that throws (a bug, or std::bad_alloc) is logged and the thread
      // goes back to serving: Asio leaves the io_context usable after run() throws.
      for (;;) {
        try {
          impl->ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: I/O thread caught an exception and goes on: {}", e.what());
        } catch (...) {
          spdlog::error("http: I/O thread caught an unknown exception and goes on");
        }
      }
    });
  }
}

void HttpServer::Stop() {
  if (!impl_) return;
  CloseAllConnections();
  impl_->ioc.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Sessions still waiting for a deferred answer go now, while the io_context exists; their
  // Responders, wherever the handler keeps them, hold nothing of the server any more.
  impl_->pending->DropAll();
  // No I/O thread runs any more: the acceptor can be closed from here.
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

void HttpServer::CloseAllConnections() {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& w : impl_->sessions) {
      if (auto s = w.lock()) open.push_back(std::move(s));
    }
    impl_->sessions.clear();
  }
  for (auto& s : open) s->Close();
}

size_t HttpServer::connection_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (auto& w : impl_->sessions) n += w.expired() ? 0 : 1;
  return n;
}

}  // namespace chromatune::coordinator
