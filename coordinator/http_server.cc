#include "coordinator/http_server.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <optional>
#include <type_traits>

#include "common/log.h"
#include "coordinator/connection_limits.h"

namespace chromatune::coordinator {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

const std::map<std::string, std::string>& SecurityHeaders() {
  static const std::map<std::string, std::string> headers = {
      // The dashboard loads its own scripts, styles and data only; SVG/PNG downloads use
      // blob: URLs and the favicon a data: URL. No page may frame it (clickjacking).
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  };
  return headers;
}

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
// How long a TLS close (close_notify) may take before the socket is closed anyway.
constexpr std::chrono::seconds kTlsShutdownTimeout{2};

// What every connection of one server shares.
struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
};

// A connection, whatever its stream: what the server and the Responders need of it.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Writes `response` on the session's strand (from any thread).
  virtual void PostAnswer(HttpResponse response) = 0;
  // Closes the connection on the session's strand (from any thread).
  virtual void Close() = 0;
};

// What a Responder refers to: the session waiting for that answer. A handler may keep its
// Responder on a thread of its own for as long as it likes, so the Responder must not own
// the session (the session's socket and timer must go before the server's io_context);
// the slot does, until the answer is posted or the server stops (PendingAnswers::DropAll).
struct AnswerSlot {
  std::mutex mu;
  std::shared_ptr<SessionBase> session;  // empty once answered or dropped
};

// The slots of answers not given yet, weakly: a slot lives as long as its Responder.
class PendingAnswers {
 public:
  std::shared_ptr<AnswerSlot> Add(std::shared_ptr<SessionBase> session) {
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

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// The part of a request that is not UTF-8 ("path", "query", "header"), or null.
const char* FirstInvalidUtf8(const http::fields& fields, const HttpRequest& request) {
  if (!IsValidUtf8(request.path)) return "path";
  for (const auto& [name, value] : request.query) {
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) return "query";
  }
  for (const auto& field : fields) {
    if (!IsValidUtf8(View(field.name_string())) || !IsValidUtf8(View(field.value()))) {
      return "header";
    }
  }
  return nullptr;
}

// One connection. Stream is beast::tcp_stream (plain HTTP) or TlsStream.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `buffer`: bytes already read from the connection (TLS detection).
  template <class... StreamArgs>
  Session(std::shared_ptr<const Shared> shared, std::shared_ptr<PendingAnswers> pending,
          std::shared_ptr<void> ticket, beast::flat_buffer buffer, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        shared_(std::move(shared)),
        pending_(std::move(pending)),
        ticket_(std::move(ticket)),
        buffer_(std::move(buffer)) {
    beast::error_code ec;
    auto peer = Lowest().socket().remote_endpoint(ec);
    loopback_ = !ec && peer.address().is_loopback();
  }

  void Start() {
    net::dispatch(Lowest().get_executor(), [self = this->shared_from_this()] {
      self->read_started_ = std::chrono::steady_clock::now();
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->Read();
      }
    });
  }

  void PostAnswer(HttpResponse response) override {
    net::post(Lowest().get_executor(),
              [self = this->shared_from_this(), response = std::move(response)]() {
                self->Write(response);
              });
  }

  void Close() override {
    net::post(Lowest().get_executor(),
              [self = this->shared_from_this()] { self->DoClose(/*graceful=*/false); });
  }

 private:
  const HttpServerOptions& options() const { return shared_->options; }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    Lowest().expires_after(options().request_timeout);
    if constexpr (kTls) {
      stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                              [self = this->shared_from_this()](beast::error_code ec, size_t used) {
                                if (ec) {
                                  spdlog::debug("http: TLS handshake failed: {}", ec.message());
                                  self->DoClose(false);
                                  return;
                                }
                                self->buffer_.consume(used);
                                self->Read();
                              });
    }
  }

  void Read() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(options().body_limit);
    // The deadline counts from when the server starts waiting (idle keep-alive included).
    read_started_ = std::chrono::steady_clock::now();
    Lowest().expires_at(read_started_ + options().request_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Transport ends that are no request at all: close quietly.
  bool Ended(beast::error_code ec) const {
    return ec == http::error::end_of_stream || ec == beast::error::timeout ||
           ec == net::error::operation_aborted || ec == net::error::connection_reset ||
           ec == net::error::eof || ec == ssl::error::stream_truncated || closed_;
  }

  // Answers a read error; false when there was none.
  bool AnswerReadError(beast::error_code ec, size_t body_limit) {
    if (!ec) return false;
    if (Ended(ec)) {
      DoClose(false);
    } else if (ec == http::error::body_limit) {
      WriteFinal(BodyTooLarge(body_limit));
    } else if (ec == http::error::header_limit) {
      WriteFinal(HttpResponse::Error(
          431, "request headers exceed " + std::to_string(kHeaderLimit) + " bytes"));
    } else {
      WriteFinal(HttpResponse::Error(400, "malformed HTTP request: " + ec.message()));
    }
    return true;
  }

  HttpResponse BodyTooLarge(size_t limit) const {
    if (limit < options().body_limit) {
      return HttpResponse::Error(413, "request body exceeds the limit of " + std::to_string(limit) +
                                          " bytes for requests without valid credentials");
    }
    return HttpResponse::Error(
        413, "request body exceeds the limit of " + std::to_string(limit) + " bytes");
  }

  void OnHeader(beast::error_code ec) {
    if (AnswerReadError(ec, options().body_limit)) return;
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = HttpRequest{};
    head_.method = std::string(req.method_string());
    ParseTarget(std::string(req.target()), &head_.path, &head_.query);
    head_.authorization = std::string(req[http::field::authorization]);
    head_.host = std::string(req[http::field::host]);
    head_.origin = std::string(req[http::field::origin]);
    head_.content_type = std::string(req[http::field::content_type]);
    head_.cookie = std::string(req[http::field::cookie]);
    head_.csrf_token = std::string(req["X-CSRF-Token"]);
    head_.from_loopback = loopback_;
    head_.tls = kTls;
    if (const char* bad = FirstInvalidUtf8(req, head_)) {
      WriteFinal(HttpResponse::Error(
          400, std::string("malformed request: the ") + bad + " is not valid UTF-8"));
      return;
    }
    // The body limit is decided before any of the body is read.
    const bool authorized = !options().authorized || options().authorized(head_);
    const size_t limit = authorized
                             ? options().body_limit
                             : std::min(options().body_limit, options().unauthenticated_body_limit);
    const auto length = parser_->content_length();
    if (length && *length > limit) {
      WriteFinal(BodyTooLarge(limit));
      return;
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      OnRead({});
      return;
    }
    // An upload earns time by its declared size; a chunked body gets the plain deadline.
    const size_t rate = std::max<size_t>(1, options().min_upload_rate);
    const auto allowance = std::chrono::milliseconds(length ? *length * 1000 / rate : 0);
    Lowest().expires_at(read_started_ + options().request_timeout + allowance);
    limit_ = limit;
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (AnswerReadError(ec, limit_)) return;
    Lowest().expires_never();
    HttpRequest request = std::move(head_);
    request.body = std::move(parser_->get().body());
    std::shared_ptr<SessionBase> self = this->shared_from_this();
    Responder respond = [slot = pending_->Add(std::move(self))](HttpResponse response) {
      // Under the slot's lock, so DropAll (server stopping) either runs first and this does
      // nothing, or waits until the session has moved into the posted handler: no reference
      // to it is left on this thread, whatever happens to the server afterwards.
      std::lock_guard<std::mutex> lock(slot->mu);
      if (!slot->session) return;  // answered already, or the server stopped
      auto session = std::move(slot->session);
      session->PostAnswer(std::move(response));
    };
    // A handler that throws answers 500 and the server goes on: nothing a request does may
    // reach ioc.run() (an escaped exception would end the I/O thread, or the process).
    const std::string what = request.method + " " + request.path;
    Responder fallback = respond;
    try {
      shared_->handler(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      spdlog::error("http: {} failed: {}", what, e.what());
      fallback(HttpResponse::Error(500, "internal error while handling " + what));
    } catch (...) {
      spdlog::error("http: {} failed with an unknown exception", what);
      fallback(HttpResponse::Error(500, "internal error while handling " + what));
    }
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
    for (const auto& [name, value] : SecurityHeaders()) res->set(name, value);
    for (const auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    res->body() = response.body;
    res->prepare_payload();
    Lowest().expires_after(options().request_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) {
                          self->DoClose(/*graceful=*/!ec);
                        } else {
                          self->Read();
                        }
                      });
  }

  // `graceful`: no read or write is pending, so a TLS connection may say close_notify first.
  void DoClose(bool graceful) {
    if (closed_) return;
    closed_ = true;
    if constexpr (kTls) {
      if (graceful) {
        Lowest().expires_after(kTlsShutdownTimeout);
        stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
        return;
      }
    }
    CloseSocket();
  }

  void CloseSocket() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().socket().close(ignored);
  }

  Stream stream_;
  std::shared_ptr<const Shared> shared_;
  std::shared_ptr<PendingAnswers> pending_;
  std::shared_ptr<void> ticket_;  // the connection's place under the caps
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest head_;  // the request being read, without its body
  size_t limit_ = 0;  // its body limit
  std::chrono::steady_clock::time_point read_started_;
  bool loopback_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool closed_ = false;
};

// A log line at most once a second for a repeated event, with how often it happened since.
class RateLimitedLog {
 public:
  void Warn(const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    ++count_;
    if (now - last_ < std::chrono::seconds(1)) return;
    spdlog::warn("{}{}", what,
                 count_ > 1 ? " (" + std::to_string(count_) + " times since the last such line)"
                            : std::string());
    last_ = now;
    count_ = 0;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  size_t count_ = 0;
};

bool IsResourceExhaustion(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory ||
         (ec.category() == boost::system::system_category() && ec.value() == ENFILE);
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, HttpHandler h)
      : shared(std::make_shared<Shared>(Shared{std::move(o), std::move(h)})),
        limits(shared->options.max_connections, shared->options.max_connections_per_peer),
        acceptor(ioc),
        backoff(ioc) {}

  const HttpServerOptions& options() const { return shared->options; }

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        if (IsResourceExhaustion(ec)) {
          // Accepting again at once would fail at once, on every I/O thread, forever.
          accept_log.Warn("http: accept failed: " + ec.message() + "; pausing accepts for " +
                          std::to_string(options().accept_backoff.count()) + " ms");
          backoff.expires_after(options().accept_backoff);
          backoff.async_wait([this](beast::error_code wait_ec) {
            if (!wait_ec && acceptor.is_open()) Accept();
          });
          return;
        }
        spdlog::warn("http: accept failed: {}", ec.message());
        Accept();
        return;
      }
      Admit(std::move(s));
      Accept();
    });
  }

  void Admit(tcp::socket s) {
    beast::error_code ec;
    const auto peer = s.remote_endpoint(ec);
    const std::string address = ec ? "unknown" : peer.address().to_string();
    std::string why;
    auto ticket = limits.Admit(address, &why);
    if (!ticket) {
      refusal_log.Warn("http: refusing a connection from " + address + ": " + why);
      s.close(ec);
      return;
    }
    beast::tcp_stream stream(std::move(s));
    if (!ssl_ctx) {
      Launch(std::make_shared<Session<beast::tcp_stream>>(shared, pending, std::move(ticket),
                                                          beast::flat_buffer(), std::move(stream)));
      return;
    }
    // TLS: look at the first bytes, so that plain HTTP gets an answer it can read.
    auto detect = std::make_shared<std::pair<beast::tcp_stream, beast::flat_buffer>>(
        std::move(stream), beast::flat_buffer());
    detect->first.expires_after(options().request_timeout);
    beast::async_detect_ssl(
        detect->first, detect->second,
        [this, detect, ticket = std::move(ticket)](beast::error_code dec, bool is_tls) mutable {
          if (dec) return;  // closed or timed out before saying anything
          if (is_tls) {
            Launch(std::make_shared<Session<TlsStream>>(shared, pending, std::move(ticket),
                                                        std::move(detect->second),
                                                        std::move(detect->first), *ssl_ctx));
            return;
          }
          static const std::string kPlainRefusal = [] {
            const std::string body =
                "{\"error\":\"this server speaks HTTPS only: use https://HOST:PORT (and --ca "
                "FILE when its certificate is not in the system store)\"}";
            return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                   "Connection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body;
          }();
          net::async_write(detect->first, net::buffer(kPlainRefusal),
                           [detect](beast::error_code, size_t) {
                             beast::error_code ignored;
                             detect->first.socket().shutdown(tcp::socket::shutdown_both, ignored);
                             detect->first.socket().close(ignored);
                           });
        });
  }

  template <class SessionPtr>
  void Launch(SessionPtr session) {
    {
      std::lock_guard<std::mutex> lock(mu);
      // Forget connections that are gone, so the list stays as long as the open set.
      sessions.erase(
          std::remove_if(sessions.begin(), sessions.end(),
                         [](const std::weak_ptr<SessionBase>& w) { return w.expired(); }),
          sessions.end());
      sessions.push_back(session);
    }
    session->Start();
  }

  Status LoadTls() {
    const auto& o = options();
    if (o.tls_cert_file.empty() && o.tls_key_file.empty()) return Status::Ok();
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      return InvalidArgument("TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
    }
    ssl_ctx.emplace(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ssl_ctx->native_handle(), TLS1_2_VERSION);
    ssl_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::single_dh_use);
    beast::error_code ec;
    ssl_ctx->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) {
      ssl_ctx.reset();
      return InvalidArgument("--tls-cert " + o.tls_cert_file +
                             ": not a readable PEM certificate: " + ec.message());
    }
    ssl_ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      ssl_ctx.reset();
      return InvalidArgument("--tls-key " + o.tls_key_file +
                             ": not a readable PEM private key: " + ec.message());
    }
    if (SSL_CTX_check_private_key(ssl_ctx->native_handle()) != 1) {
      ssl_ctx.reset();
      return InvalidArgument("--tls-key " + o.tls_key_file + " is not the key of --tls-cert " +
                             o.tls_cert_file);
    }
    return Status::Ok();
  }

  std::shared_ptr<const Shared> shared;
  std::shared_ptr<PendingAnswers> pending = std::make_shared<PendingAnswers>();
  // Declared before the io_context: the sessions' tickets refer to it, and the last
  // sessions go with the io_context's handlers.
  ConnectionLimits limits;
  std::optional<ssl::context> ssl_ctx;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer backoff;  // the pause after an accept error
  RateLimitedLog accept_log;  // used by the accept chain only (one accept at a time)
  RateLimitedLog refusal_log;
  mutable std::mutex mu;
  std::vector<std::weak_ptr<SessionBase>> sessions;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Listen(const std::string& host, int port) {
  CT_RETURN_IF_ERROR(impl_->LoadTls());
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
  for (int i = 0; i < std::max(1, impl_->options().threads); ++i) {
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
  impl_->backoff.cancel();
}

void HttpServer::CloseAllConnections() {
  std::vector<std::shared_ptr<SessionBase>> open;
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

bool HttpServer::tls() const { return impl_->ssl_ctx.has_value(); }

}  // namespace chromatune::coordinator
