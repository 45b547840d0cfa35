#include "coordinator/protocol/http_client.h"

#include <gtest/gtest.h>

#include "coordinator/http_server.h"

namespace chromatune::protocol {
namespace {

using namespace std::chrono_literals;

TEST(HttpClientTest, ParseEndpoint) {
  auto e = ParseEndpoint("127.0.0.1:8080");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8080);
  auto v6 = ParseEndpoint("[::1]:9");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"nohost", ":80", "host:", "host:0", "host:65536", "host:8x"}) {
    auto r = ParseEndpoint(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos);
  }
}

TEST(HttpClientTest, NobodyListeningIsUnavailable) {
  // Find a free port, then leave it closed.
  int port = 0;
  {
    coordinator::HttpServer s({}, [](coordinator::HttpRequest, coordinator::Responder) {});
    port = *s.Listen("127.0.0.1", 0);
  }
  HttpClient client({"127.0.0.1", port});
  auto r = client.Request("GET", "/", "", "", 1000ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClientTest, SilentServerTimesOut) {
  // The handler keeps every responder and never answers.
  auto kept = std::make_shared<std::vector<coordinator::Responder>>();
  coordinator::HttpServer s({}, [kept](coordinator::HttpRequest, coordinator::Responder r) {
    kept->push_back(std::move(r));
  });
  auto port = s.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  s.Start();
  HttpClient client({"127.0.0.1", *port});
  auto r = client.Request("GET", "/", "", "", 200ms);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  // The kept responders hold their sessions, which hold the handler, which holds `kept`:
  // break that cycle (a test artefact) so the leak checker sees the server free everything.
  s.Stop();
  kept->clear();
}

}  // namespace
}  // namespace chromatune::protocol
