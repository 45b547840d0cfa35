#include "coordinator/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "coordinator/protocol/http_client.h"

namespace chromatune::coordinator {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;

// Echoes method, path and body; "/later" answers from another thread after 100 ms.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.body_limit = 1024;
    options.request_timeout = 1000ms;
    server_ = std::make_unique<HttpServer>(options, [this](HttpRequest r, Responder respond) {
      ++requests_;
      if (r.path == "/throw") throw std::runtime_error("handler bug");
      if (r.path == "/later") {
        std::thread([respond] {
          std::this_thread::sleep_for(100ms);
          respond(HttpResponse::Json(200, {{"late", true}}));
          respond(HttpResponse::Json(500, {{"twice", true}}));  // ignored
        }).detach();
        return;
      }
      respond(HttpResponse::Json(200, {{"method", r.method},
                                       {"path", r.path},
                                       {"body", r.body},
                                       {"loopback", r.from_loopback},
                                       {"auth", r.authorization}}));
    });
    auto port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    server_->Start();
  }

  // Raw exchange: sends `data`, reads until the server closes or `timeout`.
  std::string Raw(const std::string& data, std::chrono::milliseconds timeout = 3000ms) {
    boost::asio::io_context io;
    tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
    boost::asio::write(s, boost::asio::buffer(data));
    struct timeval tv {
      static_cast<time_t>(timeout.count() / 1000),
          static_cast<suseconds_t>(timeout.count() % 1000 * 1000)
    };
    setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
      size_t n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  protocol::HttpClient client({"127.0.0.1", port_});
  for (int i = 0; i < 3; ++i) {
    auto r =
        client.Request("POST", "/echo?x=1", "{\"i\":" + std::to_string(i) + "}", "tok", 2000ms);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["path"], "/echo");
    EXPECT_EQ(j["auth"], "Bearer tok");
    EXPECT_TRUE(j["loopback"].get<bool>());
  }
  EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(HttpServerTest, DeferredAnswerArrivesOnce) {
  protocol::HttpClient client({"127.0.0.1", port_});
  auto r = client.Request("GET", "/later", "", "", 2000ms);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(r->body)["late"], true);
  auto next = client.Request("GET", "/echo", "", "", 2000ms);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(nlohmann::json::parse(next->body)["path"], "/echo");
}

TEST_F(HttpServerTest, OversizedBodyGets413AndClose) {
  std::string body(4096, 'x');
  std::string reply = Raw("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n" + body);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("1024 bytes"), std::string::npos);
  EXPECT_EQ(requests_.load(), 0);
}

TEST_F(HttpServerTest, AThrowingHandlerGets500AndTheServerGoesOn) {
  protocol::HttpClient client({"127.0.0.1", port_});
  for (int i = 0; i < 3; ++i) {  // more throws than I/O threads: none of them may be lost
    auto r = client.Request("GET", "/throw", "", "", 2000ms);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "internal error while handling GET /throw");
  }
  auto next = client.Request("GET", "/echo", "", "", 2000ms);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, InvalidUtf8Gets400BeforeAnyHandlerAndTheServerGoesOn) {
  // GET /%FF without a token killed the coordinator: the decoded path reached a JSON dump.
  for (const std::string request :
       {"GET /%FF HTTP/1.1\r\nHost: a\r\n\r\n", "GET /x?q=%C3 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nX-Name: \xC0\xAF\r\n\r\n"}) {
    std::string reply = Raw(request, 1500ms);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
    EXPECT_NE(reply.find("is not valid UTF-8"), std::string::npos) << reply;
  }
  EXPECT_EQ(requests_.load(), 0);
  protocol::HttpClient client({"127.0.0.1", port_});
  auto r = client.Request("GET", "/echo", "", "", 2000ms);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, GarbageGets400) {
  std::string reply = Raw("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
}

TEST_F(HttpServerTest, StalledClientIsDisconnectedWhileOthersAreServed) {
  boost::asio::io_context io;
  tcp::socket slow(io);
  slow.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
  boost::asio::write(slow, boost::asio::buffer(std::string("GET /echo HTTP/1.1\r\nHo")));
  protocol::HttpClient client({"127.0.0.1", port_});
  auto r = client.Request("GET", "/echo", "", "", 2000ms);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  // The stalled request never completes; the 1 s request deadline closes it.
  char buf[16];
  boost::system::error_code ec;
  slow.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
      << ec.message();
}

TEST_F(HttpServerTest, CloseAllConnectionsAndClientReconnects) {
  protocol::HttpClient client({"127.0.0.1", port_});
  ASSERT_TRUE(client.Request("GET", "/a", "", "", 2000ms).ok());
  server_->CloseAllConnections();
  std::this_thread::sleep_for(50ms);
  auto r = client.Request("GET", "/b", "", "", 2000ms);  // retried on a fresh connection
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(r->body)["path"], "/b");
}

TEST(HttpServerListenTest, BadAddressAndPortInUse) {
  HttpServer a({}, [](HttpRequest, Responder r) { r(HttpResponse::Json(200, {})); });
  EXPECT_EQ(a.Listen("not-an-ip", 0).status().code(), StatusCode::kInvalidArgument);
  HttpServer b({}, [](HttpRequest, Responder r) { r(HttpResponse::Json(200, {})); });
  auto port = b.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  HttpServer c({}, [](HttpRequest, Responder r) { r(HttpResponse::Json(200, {})); });
  auto again = c.Listen("127.0.0.1", *port);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find(std::to_string(*port)), std::string::npos);
}

// A handler may keep its Responder past the server's life (a long poll still parked when the
// coordinator shuts down). Answering or dropping it afterwards must touch nothing of the
// server: before the fix, the Responder owned the connection, whose socket and timer were
// then destroyed after the server's io_context (a use after free that the ASan build reports).
TEST(HttpServerLifetimeTest, ResponderKeptPastTheServerIsHarmless) {
  Responder kept;
  std::mutex mu;
  std::condition_variable cv;
  bool parked = false;
  {
    HttpServer server(HttpServerOptions{}, [&](HttpRequest, Responder respond) {
      std::lock_guard<std::mutex> lock(mu);
      kept = std::move(respond);
      parked = true;
      cv.notify_all();
    });
    auto port = server.Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    server.Start();
    std::thread client([port = *port] {
      protocol::HttpClient c({"127.0.0.1", port});
      (void)c.Request("GET", "/park", "", "", 3000ms);
    });
    {
      std::unique_lock<std::mutex> lock(mu);
      EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return parked; }));
    }
    server.Stop();  // the parked connection is released, so the client sees it close
    client.join();
  }
  ASSERT_TRUE(kept);
  kept(HttpResponse::Json(200, {{"late", true}}));  // the server is gone: nothing happens
  kept = nullptr;                                   // and nothing is left to release
}

}  // namespace
}  // namespace chromatune::coordinator
