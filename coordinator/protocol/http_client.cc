#include "coordinator/protocol/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace chromatune::protocol {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

Result<Endpoint> ParseEndpoint(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return InvalidArgument("coordinator address \"" + text + "\": expected HOST:PORT");
  }
  Endpoint e;
  e.host = text.substr(0, colon);
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return InvalidArgument("coordinator address \"" + text + "\": port \"" + port +
                           "\" is not in 1..65535");
  }
  e.port = std::stoi(port);
  return e;
}

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  bool reused = false;  // the connection already carried a request

  // Runs the asynchronous operation started by `start` to completion on this thread.
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result = net::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

HttpClient::HttpClient(Endpoint endpoint)
    : endpoint_(std::move(endpoint)), impl_(std::make_unique<Impl>()) {}

HttpClient::~HttpClient() { Disconnect(); }

void HttpClient::Disconnect() {
  if (impl_->stream) {
    beast::error_code ignored;
    impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->stream->socket().close(ignored);
    impl_->stream.reset();
  }
  impl_->buffer.clear();
  impl_->reused = false;
}

Result<HttpReply> HttpClient::Request(const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& token,
                                      std::chrono::milliseconds timeout) {
  const std::string where = method + " http://" + endpoint_.ToString() + target;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto& s = *impl_;
    if (!s.stream) {
      beast::error_code ec;
      tcp::resolver resolver(s.ioc);
      auto endpoints = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
      if (ec) return Unavailable(where + ": cannot resolve host: " + ec.message());
      s.stream.emplace(s.ioc);
      s.stream->expires_after(timeout);
      ec = s.Run([&](auto handler) { s.stream->async_connect(endpoints, handler); });
      if (ec) {
        Disconnect();
        if (ec == beast::error::timeout) return DeadlineExceeded(where + ": connect timed out");
        return Unavailable(where + ": cannot connect: " + ec.message());
      }
      s.stream->socket().set_option(tcp::no_delay(true), ec);
    }
    const bool was_reused = s.reused;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, endpoint_.host);
    req.set(http::field::user_agent, "chromatune");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();
    s.stream->expires_after(timeout);
    beast::error_code ec = s.Run([&](auto handler) { http::async_write(*s.stream, req, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    if (!ec) {
      ec = s.Run([&](auto handler) { http::async_read(*s.stream, s.buffer, parser, handler); });
    }
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
