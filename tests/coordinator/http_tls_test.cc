// The HTTP server's TLS, limits and headers over real sockets (issue 18 item 5, issue 19
// item 3): HTTPS with a certificate made by the `openssl` command, what an unverified or a
// plain client gets, the small body limit of requests without credentials (answered before
// the body is sent), connection caps, upload time that scales with Content-Length, the
// security headers, and the coordinator refusing plaintext off loopback.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "coordinator/connection_limits.h"
#include "coordinator/http_server.h"
#include "coordinator/protocol/http_client.h"
#include "coordinator/server.h"
#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;
using testing::TempDir;

// A self-signed certificate for 127.0.0.1 and localhost, made as docs/cluster.md says.
bool MakeCertificate(const TempDir& dir) {
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
      " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      dir.File("key.pem") + " -out " + dir.File("cert.pem") + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

class ServerFixture : public ::testing::Test {
 protected:
  // Starts a server whose handler echoes the path and whose hook accepts "Bearer good".
  void Start(HttpServerOptions options) {
    options.authorized = [](const HttpRequest& head) {
      return head.authorization == "Bearer good";
    };
    server_ = std::make_unique<HttpServer>(options, [this](HttpRequest r, Responder respond) {
      ++handled_;
      respond(HttpResponse::Json(200, {{"path", r.path}, {"bytes", r.body.size()}}));
    });
    auto port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    server_->Start();
  }

  std::unique_ptr<tcp::socket> Connect() {
    auto s = std::make_unique<tcp::socket>(io_);
    s->connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
    timeval tv{3, 0};
    setsockopt(s->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
  }

  // Reads until the server closes (or 3 s pass).
  static std::string ReadAll(tcp::socket& s) {
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

  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::atomic<int> handled_{0};
};

TEST_F(ServerFixture, HttpsWithTheCaVerifiesOthersAreRefusedClearly) {
  TempDir dir;
  ASSERT_TRUE(MakeCertificate(dir)) << "the openssl command is needed";
  HttpServerOptions options;
  options.tls_cert_file = dir.File("cert.pem");
  options.tls_key_file = dir.File("key.pem");
  Start(options);
  ASSERT_TRUE(server_->tls());

  protocol::HttpClient verified({"127.0.0.1", port_, true, dir.File("cert.pem")});
  for (int i = 0; i < 2; ++i) {  // a kept-alive TLS connection carries a second request
    auto r = verified.Request("POST", "/x", "{}", "good", 5000ms);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("\"/x\""), std::string::npos);
  }
  protocol::HttpClient by_name({"localhost", port_, true, dir.File("cert.pem")});
  EXPECT_TRUE(by_name.Request("GET", "/y", "", "", 5000ms).ok());

  // The system's store does not know a self-signed certificate: refused, not retried.
  protocol::HttpClient system_store({"127.0.0.1", port_, true});
  auto refused = system_store.Request("GET", "/x", "", "good", 5000ms);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("--ca"), std::string::npos);

  // Plain HTTP to the TLS port: an answer it can read.
  protocol::HttpClient plain({"127.0.0.1", port_});
  auto p = plain.Request("GET", "/x", "", "good", 5000ms);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->status, 400);
  EXPECT_NE(p->body.find("HTTPS only"), std::string::npos) << p->body;

  // Another certificate's key does not start a server.
  HttpServerOptions wrong = options;
  wrong.tls_key_file = dir.File("cert.pem");
  HttpServer bad(wrong, [](HttpRequest, Responder) {});
  auto listened = bad.Listen("127.0.0.1", 0);
  ASSERT_FALSE(listened.ok());
  EXPECT_NE(listened.status().message().find("--tls-key"), std::string::npos);
}

TEST_F(ServerFixture, ALargeBodyWithoutCredentialsIsRefusedBeforeItIsSent) {
  Start(HttpServerOptions{});  // 64 MiB for tokens, 64 KiB without
  auto s = Connect();
  // Headers only: a 64 MiB body announced and never sent. The answer must not wait for it.
  const auto sent = std::chrono::steady_clock::now();
  boost::asio::write(*s, boost::asio::buffer(std::string(
                             "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             "application/json\r\nContent-Length: 67108864\r\n\r\n")));
  const std::string reply = ReadAll(*s);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 2s);
  EXPECT_NE(reply.find("413"), std::string::npos) << reply;
  EXPECT_NE(reply.find("without valid credentials"), std::string::npos) << reply;
  EXPECT_EQ(handled_.load(), 0);

  // The same size with a valid token is read (the server waits for the body).
  protocol::HttpClient client({"127.0.0.1", port_});
  const std::string body(200 * 1024, 'x');
  auto with = client.Request("POST", "/upload", body, "good", 5000ms);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_EQ(with->status, 200);
  // Sent anyway: 413, or the close that follows it reaches the client while it still sends.
  auto without = client.Request("POST", "/upload", body, "", 5000ms);
  if (without.ok()) {
    EXPECT_EQ(without->status, 413);
  } else {
    EXPECT_EQ(without.status().code(), StatusCode::kUnavailable) << without.status().ToString();
  }
  EXPECT_EQ(handled_.load(), 1) << "only the request with a token reached the handler";
  // A small anonymous body is fine (a login).
  auto small = client.Request("POST", "/login", "{\"token\":\"x\"}", "", 5000ms);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->status, 200);
}

TEST_F(ServerFixture, ConnectionsPastThePerPeerCapAreClosedAndRoomComesBack) {
  HttpServerOptions options;
  options.max_connections_per_peer = 2;
  Start(options);
  auto a = Connect();
  auto b = Connect();
  std::this_thread::sleep_for(200ms);  // both admitted
  auto c = Connect();
  boost::asio::write(*c, boost::asio::buffer(std::string("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(ReadAll(*c), "") << "a third connection from the same address is closed unanswered";
  a->close();
  std::this_thread::sleep_for(200ms);
  protocol::HttpClient client({"127.0.0.1", port_});
  auto r = client.Request("GET", "/d", "", "", 3000ms);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerFixture, ConnectionsPastTheTotalCapAreClosed) {
  HttpServerOptions options;
  options.max_connections = 1;
  Start(options);
  auto a = Connect();
  std::this_thread::sleep_for(200ms);
  auto b = Connect();
  boost::asio::write(*b, boost::asio::buffer(std::string("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(ReadAll(*b), "");
  EXPECT_EQ(handled_.load(), 0);
}

TEST(ConnectionLimitsTest, CountsPerPeerAndGivesPlacesBack) {
  ConnectionLimits limits(3, 2);
  std::string why;
  auto a1 = limits.Admit("10.0.0.1", &why);
  auto a2 = limits.Admit("10.0.0.1", &why);
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(limits.Admit("10.0.0.1", &why));
  EXPECT_NE(why.find("--max-connections-per-peer 2"), std::string::npos) << why;
  auto b1 = limits.Admit("10.0.0.2", &why);
  ASSERT_TRUE(b1);
  EXPECT_FALSE(limits.Admit("10.0.0.3", &why));
  EXPECT_NE(why.find("--max-connections 3"), std::string::npos) << why;
  a1.reset();
  EXPECT_EQ(limits.open(), 2u);
  EXPECT_EQ(limits.open_from("10.0.0.1"), 1u);
  EXPECT_TRUE(limits.Admit("10.0.0.3", &why));
}

TEST_F(ServerFixture, UploadsEarnTimeByTheirSizeWhileIdleClientsDoNot) {
  HttpServerOptions options;
  options.request_timeout = 400ms;
  options.min_upload_rate = 1000;  // 2,000 bytes: 2 s more
  Start(options);
  auto s = Connect();
  boost::asio::write(
      *s, boost::asio::buffer(
              std::string("POST /slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n"
                          "Content-Length: 2000\r\n\r\n") +
              std::string(1000, 'a')));
  std::this_thread::sleep_for(800ms);  // past request_timeout, within the allowance
  boost::asio::write(*s, boost::asio::buffer(std::string(1000, 'b')));
  const std::string reply = ReadAll(*s);
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"bytes\":2000"), std::string::npos) << reply;

  // Without a body there is no allowance: an idle connection goes after request_timeout.
  auto idle = Connect();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(*idle), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST_F(ServerFixture, EveryResponseCarriesTheSecurityHeaders) {
  Start(HttpServerOptions{});
  auto s = Connect();
  boost::asio::write(*s, boost::asio::buffer(std::string(
                             "GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  const std::string reply = ReadAll(*s);
  EXPECT_NE(reply.find("Content-Security-Policy: default-src 'none'"), std::string::npos) << reply;
  EXPECT_NE(reply.find("frame-ancestors 'none'"), std::string::npos) << reply;
  EXPECT_NE(reply.find("X-Content-Type-Options: nosniff"), std::string::npos) << reply;
  EXPECT_NE(reply.find("X-Frame-Options: DENY"), std::string::npos) << reply;
}

TEST(CoordinatorTlsTest, PlaintextOffLoopbackIsRefusedUnlessAskedFor) {
  TempDir dir;
  std::ofstream(dir.File("tokens")) << "ann ann-token-0123456789 admin\n";
  ServerConfig c;
  c.db_path = dir.File("runs.db");
  c.host = "0.0.0.0";
  c.token_file = dir.File("tokens");
  auto refused = CoordinatorServer::Start(c);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("clear text"), std::string::npos);
  EXPECT_NE(refused.status().message().find("--tls-cert"), std::string::npos);
  EXPECT_NE(refused.status().message().find("--insecure-plaintext"), std::string::npos);

  c.insecure_plaintext = true;
  auto allowed = CoordinatorServer::Start(c);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  (*allowed)->Stop();

  ASSERT_TRUE(MakeCertificate(dir));
  c.insecure_plaintext = false;
  c.http.tls_cert_file = dir.File("cert.pem");
  c.http.tls_key_file = dir.File("key.pem");
  auto tls = CoordinatorServer::Start(c);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_TRUE((*tls)->http().tls());
  protocol::HttpClient client({"127.0.0.1", (*tls)->port(), true, dir.File("cert.pem")});
  auto health = client.Request("GET", "/api/v1/health", "", "", 5000ms);
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  // Without a token, a large body is refused on its headers (the Api's hook).
  auto anonymous =
      client.Request("POST", "/api/v1/sweeps", std::string(100 * 1024, ' '), "", 5000ms);
  if (anonymous.ok()) {  // else the close after the 413 reached the client first
    EXPECT_EQ(anonymous->status, 413);
  } else {
    EXPECT_EQ(anonymous.status().code(), StatusCode::kUnavailable);
  }
  auto with_token = client.Request("POST", "/api/v1/sweeps", std::string(100 * 1024, ' '),
                                   "ann-token-0123456789", 5000ms);
  ASSERT_TRUE(with_token.ok());
  EXPECT_EQ(with_token->status, 400) << "read and judged as JSON: " << with_token->body;
  (*tls)->Stop();
}

}  // namespace
}  // namespace chromatune::coordinator
