#include "coordinator/server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "coordinator/protocol/coordinator_client.h"
#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator {
namespace {

using testing::NoopSweep;
using testing::TempDir;

TEST(ServerTest, ConfigErrorsNameTheOption) {
  TempDir dir;
  ServerConfig c;
  c.db_path = dir.File("runs.db");
  auto no_auth = CoordinatorServer::Start(c);
  ASSERT_FALSE(no_auth.ok());
  EXPECT_NE(no_auth.status().message().find("--token-file"), std::string::npos);
  c.insecure_loopback = true;
  c.host = "0.0.0.0";
  auto open = CoordinatorServer::Start(c);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("0.0.0.0"), std::string::npos);
  c.insecure_loopback = false;
  c.host = "127.0.0.1";
  c.token_file = dir.File("missing-tokens");
  EXPECT_FALSE(CoordinatorServer::Start(c).ok());
}

// One coordinator per store: a second one on the same database is refused at once, naming
// the first (host, pid) and the lock file; once the first stops, the store is free again.
TEST(ServerTest, SecondCoordinatorOnTheSameStoreIsRefusedNamingTheFirst) {
  TempDir dir;
  ServerConfig c;
  c.db_path = dir.File("runs.db");
  c.insecure_loopback = true;
  auto first = CoordinatorServer::Start(c);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = CoordinatorServer::Start(c);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  const std::string message = second.status().message();
  EXPECT_NE(message.find("pid " + std::to_string(getpid())), std::string::npos) << message;
  EXPECT_NE(message.find(StoreLockPath(c.db_path)), std::string::npos) << message;
  EXPECT_TRUE((*first)->coordinator().StatusReport().ok());  // the first serves on
  (*first)->Stop();
  auto third = CoordinatorServer::Start(c);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST(ServerTest, ListenAddressParsing) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:0", &host, &port).ok());
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(ParseListenAddress("localhost:80", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  ASSERT_TRUE(ParseListenAddress("[::1]:9", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(ParseListenAddress("nope", &host, &port).ok());
  EXPECT_FALSE(ParseListenAddress("h:70000", &host, &port).ok());
  EXPECT_TRUE(IsLoopbackHost("127.0.0.2"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
}

TEST(ServerTest, ServesTheApiWithTokensAndRecordsTheSubmitter) {
  TempDir dir;
  // bob submits and runs his own worker group: an admin (a user token may not lease).
  { std::ofstream(dir.File("tokens")) << "bob bob-token-0123456789abc admin\n"; }
  ServerConfig c;
  c.db_path = dir.File("runs.db");
  c.token_file = dir.File("tokens");
  auto server = CoordinatorServer::Start(c);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  protocol::Endpoint e{"127.0.0.1", (*server)->port()};
  protocol::CoordinatorClient anonymous(e, "");
  EXPECT_EQ(anonymous.GetStatus().status().code(), StatusCode::kPermissionDenied);
  protocol::CoordinatorClient bob(e, "bob-token-0123456789abc");
  auto submitted = bob.SubmitSweep(NoopSweep("srv", 2), "srv.yaml");
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_EQ((*submitted)["user"], "bob");
  auto reg = bob.RegisterGroup(1, {"cpu"}, "here", "v");
  ASSERT_TRUE(reg.ok());
  auto leased = bob.Lease(reg->group_id, 1, 1, std::chrono::milliseconds(0));
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 1u);
  TrialResult r;
  r.metrics["accuracy"] = 0.25;
  r.arrays.push_back({"predictions", {3}, {1.f, 2.f, 3.f}});
  const auto& t = (*leased)[0];
  ASSERT_EQ(t.lease_id.size(), t.lease_id.rfind('.') + 33) << t.lease_id;
  EXPECT_EQ(bob.Complete(t.trial_id, t.attempt, t.lease_id + "0", r).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(bob.Complete(t.trial_id, t.attempt, t.lease_id, r).ok());
  auto stale = bob.Complete(t.trial_id, t.attempt + 1, t.lease_id, r);
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition);
  auto status = bob.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["sweeps"][0]["user"], "bob");
  EXPECT_EQ((*status)["sweeps"][0]["counts"]["done"], 1);
  (*server)->Stop();
}

// SIGHUP (`chromatune coordinator`) re-reads the token file: a revoked token is refused at
// once; a bad file keeps the tokens in force and says why.
TEST(ServerTest, ReloadTokensSwapsTheTableOrKeepsTheOldOne) {
  TempDir dir;
  { std::ofstream(dir.File("tokens")) << "bob bob-token-0123456789abc\n"; }
  ServerConfig c;
  c.db_path = dir.File("runs.db");
  c.token_file = dir.File("tokens");
  auto server = CoordinatorServer::Start(c);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  protocol::Endpoint e{"127.0.0.1", (*server)->port()};
  protocol::CoordinatorClient bob(e, "bob-token-0123456789abc");
  protocol::CoordinatorClient carol(e, "carol-token-0123456789");
  ASSERT_TRUE(bob.GetStatus().ok());
  { std::ofstream(dir.File("tokens")) << "carol carol-token-0123456789 viewer\nbroken\n"; }
  auto bad = (*server)->ReloadTokens();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":2:"), std::string::npos) << bad.status().ToString();
  EXPECT_TRUE(bob.GetStatus().ok());  // the old table is still in force
  { std::ofstream(dir.File("tokens")) << "carol carol-token-0123456789 viewer\n"; }
  auto good = (*server)->ReloadTokens();
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(*good, 1u);
  EXPECT_EQ(bob.GetStatus().status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(carol.GetStatus().ok());
  (*server)->Stop();
}

}  // namespace
}  // namespace chromatune::coordinator
