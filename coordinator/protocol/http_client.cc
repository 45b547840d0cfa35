#include "coordinator/protocol/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace chromatune::protocol {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string Endpoint::ToString() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "") + h + ":" + std::to_string(port);
}

Result<Endpoint> ParseEndpoint(const std::string& text) {
  Endpoint e;
  std::string rest = text;
  if (rest.rfind("https://", 0) == 0) {
    e.tls = true;
    rest = rest.substr(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return InvalidArgument("coordinator address \"" + text + "\": expected HOST:PORT");
  }
  e.host = rest.substr(0, colon);
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  const std::string port = rest.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return InvalidArgument("coordinator address \"" + text + "\": port \"" + port +
                           "\" is not in 1..65535");
  }
  e.port = std::stoi(port);
  return e;
}

Result<Endpoint> ParseEndpoint(const std::string& text, const std::string& ca_file) {
  CT_ASSIGN_OR_RETURN(Endpoint e, ParseEndpoint(text));
  if (!ca_file.empty()) {
    e.tls = true;
    e.ca_file = ca_file;
  }
  return e;
}

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<ssl::context> tls_context;  // made on the first TLS connection
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool reused = false;  // the connection already carried a request

  bool connected() const { return plain.has_value() || secure.has_value(); }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Runs the asynchronous operation started by `start` to completion on this thread.
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result = net::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  // Writes `req` and reads the response on whichever stream is open.
  beast::error_code Exchange(http::request<http::string_body>& req,
                             http::response_parser<http::string_body>& parser) {
    auto io = [&](auto& stream) {
      beast::error_code ec = Run([&](auto handler) { http::async_write(stream, req, handler); });
      if (!ec) ec = Run([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
      return ec;
    };
    return secure ? io(*secure) : io(*plain);
  }

  Status MakeTlsContext(const Endpoint& endpoint) {
    if (tls_context) return Status::Ok();
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (endpoint.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
      if (ec) return Unavailable("cannot load the system's CA certificates: " + ec.message());
    } else {
      ctx.load_verify_file(endpoint.ca_file, ec);
      if (ec) {
        return InvalidArgument("--ca " + endpoint.ca_file +
                               ": not a readable PEM certificate file: " + ec.message());
      }
    }
    tls_context.emplace(std::move(ctx));
    return Status::Ok();
  }
};

HttpClient::HttpClient(Endpoint endpoint)
    : endpoint_(std::move(endpoint)), impl_(std::make_unique<Impl>()) {}

HttpClient::~HttpClient() { Disconnect(); }

void HttpClient::Disconnect() {
  if (impl_->connected()) {
    beast::error_code ignored;
    impl_->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->lowest().socket().close(ignored);
  }
  impl_->secure.reset();
  impl_->plain.reset();
  impl_->buffer.clear();
  impl_->reused = false;
}

Status HttpClient::Connect(const std::string& where, std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  if (endpoint_.tls) CT_RETURN_IF_ERROR(s.MakeTlsContext(endpoint_));
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
  if (ec) return Unavailable(where + ": cannot resolve host: " + ec.message());
  s.plain.emplace(s.ioc);
  s.plain->expires_after(timeout);
  ec = s.Run([&](auto handler) { s.plain->async_connect(endpoints, handler); });
  if (ec) {
    Disconnect();
    if (ec == beast::error::timeout) return DeadlineExceeded(where + ": connect timed out");
    return Unavailable(where + ": cannot connect: " + ec.message());
  }
  s.plain->socket().set_option(tcp::no_delay(true), ec);
  if (!endpoint_.tls) return Status::Ok();
  s.secure.emplace(std::move(*s.plain), *s.tls_context);
  s.plain.reset();
  // The name the certificate must carry (a DNS name or an IP address), and SNI for names.
  s.secure->set_verify_callback(ssl::host_name_verification(endpoint_.host));
  beast::error_code not_ip;
  net::ip::make_address(endpoint_.host, not_ip);
  if (not_ip) SSL_set_tlsext_host_name(s.secure->native_handle(), endpoint_.host.c_str());
  ec = s.Run([&](auto handler) { s.secure->async_handshake(ssl::stream_base::client, handler); });
  if (ec) {
    Disconnect();
    if (ec == beast::error::timeout) return DeadlineExceeded(where + ": TLS handshake timed out");
    if (ec.category() == net::error::get_ssl_category() &&
        ERR_GET_REASON(ec.value()) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      return PermissionDenied(where + ": the server's certificate does not verify for " +
                              endpoint_.host + " (" + ec.message() + "); give its CA with --ca " +
                              "FILE, or check that the certificate names this host");
    }
    return Unavailable(where + ": TLS handshake failed: " + ec.message() +
                       " (is the server speaking HTTPS?)");
  }
  return Status::Ok();
}

Result<HttpReply> HttpClient::Request(const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& token,
                                      std::chrono::milliseconds timeout) {
  const std::string where =
      method + " " + (endpoint_.tls ? "" : "http://") + endpoint_.ToString() + target;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto& s = *impl_;
    if (!s.connected()) CT_RETURN_IF_ERROR(Connect(where, timeout));
    const bool was_reused = s.reused;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, endpoint_.host);
    req.set(http::field::user_agent, "chromatune");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    // Every state change is JSON, body or not: local-mode servers refuse anything else.
    if (!body.empty() || (method != "GET" && method != "HEAD")) {
      req.set(http::field::content_type, "application/json");
    }
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();
    s.lowest().expires_after(timeout);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    beast::error_code ec = s.Exchange(req, parser);
    if (ec) {
      Disconnect();
      // A kept-alive connection the server closed in the meantime: retry once, fresh.
      if (was_reused && attempt == 0 && ec != beast::error::timeout) continue;
      if (ec == beast::error::timeout) {
        return DeadlineExceeded(where + ": no reply within " + std::to_string(timeout.count()) +
                                " ms");
      }
      return Unavailable(where + ": " + ec.message());
    }
    auto res = parser.release();
    s.reused = true;
    if (!res.keep_alive()) Disconnect();
    return HttpReply{static_cast<int>(res.result_int()), std::move(res.body())};
  }
  return Unavailable(where + ": connection lost twice");
}

}  // namespace chromatune::protocol
