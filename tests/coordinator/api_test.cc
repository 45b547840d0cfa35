#include "coordinator/api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator {
namespace {

using testing::NoopSweep;
using testing::TempDir;

// One token per role; Secure() calls with the admin's.
const char* kToken = "admin-token-0123456789";
const char* kAliceToken = "alice-token-0123456789";
const char* kBobToken = "bob-token-0123456789xx";
const char* kViewerToken = "viewer-token-0123456789";
const char* kWorkerToken = "worker-token-0123456789";
const char* kTokenFile =
    "root admin-token-0123456789 admin\n"
    "alice alice-token-0123456789\n"
    "bob bob-token-0123456789xx user\n"
    "vera viewer-token-0123456789 viewer\n"
    "w worker-token-0123456789 worker\n";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ResultStore::Open(dir_.File("runs.db"), StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    coordinator_ = std::make_unique<Coordinator>(store_.get(), nullptr, CoordinatorOptions{});
    auto tokens = TokenTable::Parse(kTokenFile, "tokens");
    ASSERT_TRUE(tokens.ok());
    secure_ = std::make_unique<Api>(coordinator_.get(), *tokens);
    insecure_ = std::make_unique<Api>(coordinator_.get(), std::nullopt);
  }

  HttpResponse Call(Api& api, const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& auth = "",
                    bool loopback = true) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.authorization = auth;
    r.from_loopback = loopback;
    // What a local client sends (local mode checks Host and the content type: web_gate.h).
    r.host = "127.0.0.1:7321";
    r.content_type = "application/json";
    // A submission is answered on the planner thread: wait for the answer (a bounded time).
    struct Answer {
      std::mutex mu;
      std::condition_variable cv;
      std::optional<HttpResponse> response;
    };
    auto answer = std::make_shared<Answer>();
    api.Handle(r, [answer](HttpResponse resp) {
      std::lock_guard<std::mutex> lock(answer->mu);
      answer->response = std::move(resp);
      answer->cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(answer->mu);
    answer->cv.wait_for(lock, std::chrono::seconds(30),
                        [&] { return answer->response.has_value(); });
    if (answer->response) return *answer->response;
    HttpResponse none;
    none.status = -1;
    return none;
  }
  HttpResponse Secure(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return As(kToken, method, path, body);
  }
  HttpResponse As(const char* token, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return Call(*secure_, method, path, body, std::string("Bearer ") + token);
  }
  static std::string Error(const HttpResponse& r) {
    return nlohmann::json::parse(r.body).value("error", "");
  }
  // Registers a one-rank group through the route; its id.
  int64_t RegisterGroup() {
    auto reg = Secure("POST", "/api/v1/groups", R"({"ranks": 1, "host": "h"})");
    EXPECT_EQ(reg.status, 201);
    return nlohmann::json::parse(reg.body).value("group_id", int64_t{0});
  }
  // Leases one trial for group `g` through the route; the granted trial.
  nlohmann::json LeaseOne(int64_t g) {
    auto lease =
        Secure("POST", "/api/v1/lease", nlohmann::json{{"group_id", g}, {"free_ranks", 1}}.dump());
    EXPECT_EQ(lease.status, 200);
    return nlohmann::json::parse(lease.body)["trials"].at(0);
  }

  TempDir dir_;
  std::unique_ptr<ResultStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<Api> secure_, insecure_;
};

TEST_F(ApiTest, TokensAreRequiredExceptForHealth) {
  EXPECT_EQ(Call(*secure_, "GET", "/api/v1/status").status, 401);
  auto wrong = Call(*secure_, "GET", "/api/v1/status", "", "Bearer nope-nope-nope-nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.headers.at("WWW-Authenticate"), "Bearer realm=\"chromatune\"");
  EXPECT_EQ(Call(*secure_, "GET", "/api/v1/health").status, 200);
  EXPECT_EQ(Secure("GET", "/api/v1/status").status, 200);
}

TEST_F(ApiTest, InsecureModeServesLoopbackOnly) {
  EXPECT_EQ(Call(*insecure_, "GET", "/api/v1/status").status, 200);
  auto remote = Call(*insecure_, "GET", "/api/v1/status", "", "", /*loopback=*/false);
  EXPECT_EQ(remote.status, 403);
  EXPECT_NE(Error(remote).find("loopback"), std::string::npos);
}

TEST_F(ApiTest, UnknownRoutesAre404) {
  EXPECT_EQ(Secure("GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(Secure("GET", "/other").status, 404);
  EXPECT_EQ(Secure("POST", "/api/v1/trials/x1/complete", "{}").status, 404);
  EXPECT_EQ(Secure("POST", "/api/v1/trials/1/explode", "{}").status, 404);
  EXPECT_EQ(Secure("DELETE", "/api/v1/status").status, 404);
}

TEST_F(ApiTest, MalformedBodiesAre400NamingTheProblem) {
  auto r = Secure("POST", "/api/v1/groups", "{\"ranks\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r).find("malformed JSON"), std::string::npos);
  r = Secure("POST", "/api/v1/groups", "{\"ranks\": 0}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r).find("\"ranks\""), std::string::npos);
  r = Secure("POST", "/api/v1/lease", "{\"group_id\": 1}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r).find("free_ranks"), std::string::npos);
  r = Secure("POST", "/api/v1/trials/1/complete", R"({"attempt": 1, "lease_id": "L1.1.x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r).find("result"), std::string::npos);
  r = Secure("POST", "/api/v1/sweeps", "{\"yaml\": 5}");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ApiTest, SweepLifecycleThroughRoutes) {
  auto sub = Secure("POST", "/api/v1/sweeps",
                    nlohmann::json{{"yaml", NoopSweep("api", 2)}, {"origin", "api.yaml"}}.dump());
  ASSERT_EQ(sub.status, 201) << sub.body;
  auto summary = nlohmann::json::parse(sub.body);
  EXPECT_EQ(summary["trials"], 2);
  EXPECT_EQ(summary["user"], "root");
  auto trial = LeaseOne(RegisterGroup());
  const std::string base = "/api/v1/trials/" + std::to_string(trial["trial_id"].get<int64_t>());
  const std::string lease = trial["lease_id"];
  auto with = [&](nlohmann::json j) {
    j["lease_id"] = lease;
    return j.dump();
  };
  EXPECT_EQ(Secure("POST", base + "/heartbeat", with({{"attempt", 1}, {"progress", 0.5}})).status,
            200);
  // Without the lease id: 400 naming the field.
  auto missing = Secure("POST", base + "/heartbeat", R"({"attempt": 1})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(Error(missing).find("lease_id"), std::string::npos);
  EXPECT_EQ(Secure("POST", base + "/complete",
                   with({{"attempt", 2}, {"result", {{"metrics", nlohmann::json::object()}}}}))
                .status,
            409);
  auto done = Secure("POST", base + "/complete",
                     with({{"attempt", 1}, {"result", {{"metrics", {{"accuracy", 0.5}}}}}}));
  EXPECT_EQ(done.status, 200) << done.body;
  auto info = Secure("GET", "/api/v1/sweeps/api");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(nlohmann::json::parse(info.body)["counts"]["done"], 1);
  EXPECT_EQ(Secure("GET", "/api/v1/sweeps/none").status, 404);
  auto cancel = Secure("POST", "/api/v1/sweeps/api/cancel", "{}");
  EXPECT_EQ(cancel.status, 200);
  EXPECT_EQ(nlohmann::json::parse(cancel.body)["cancelled"], 1);
}

// A completion may carry a lease request for the group's next round (lease ahead): it is
// checked before anything is stored, answered in the same reply, and a repeated completion
// leases nothing more.
TEST_F(ApiTest, CompletionLeasesTheNextRoundInTheSameExchange) {
  ASSERT_EQ(Secure("POST", "/api/v1/sweeps",
                   nlohmann::json{{"yaml", NoopSweep("next", 3)}, {"origin", "n.yaml"}}.dump())
                .status,
            201);
  const int64_t g = RegisterGroup();
  const nlohmann::json granted = LeaseOne(g);
  const int64_t first = granted["trial_id"];
  std::string lease_id = granted["lease_id"];
  const std::string path = "/api/v1/trials/" + std::to_string(first) + "/complete";
  auto body = [&](const nlohmann::json& ask) {
    return nlohmann::json{{"attempt", 1},
                          {"lease_id", lease_id},
                          {"result", {{"metrics", {{"accuracy", 0.5}}}}},
                          {"lease", ask}}
        .dump();
  };
  auto counts = [&] { return store_->GetSweep("next")->counts; };

  // A malformed lease request is refused before the result is stored.
  auto bad = Secure("POST", path, body({{"group_id", g}, {"free_ranks", 0}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Error(bad).find("free_ranks"), std::string::npos) << Error(bad);
  EXPECT_EQ(counts().done, 0);

  auto done = Secure("POST", path, body({{"group_id", g}, {"free_ranks", 1}}));
  ASSERT_EQ(done.status, 200) << done.body;
  auto reply = nlohmann::json::parse(done.body);
  EXPECT_EQ(reply["stored"], true);
  ASSERT_EQ(reply["trials"].size(), 1u);
  EXPECT_NE(reply["trials"][0]["trial_id"].get<int64_t>(), first);
  EXPECT_EQ(reply["trials"][0]["attempt"], 1);
  EXPECT_TRUE(reply["trials"][0]["item"].is_object());
  EXPECT_EQ(counts().done, 1);
  EXPECT_EQ(counts().leased, 1);

  // The same completion again (a retried request): a duplicate, and no second lease.
  auto again = Secure("POST", path, body({{"group_id", g}, {"free_ranks", 1}}));
  ASSERT_EQ(again.status, 200);
  reply = nlohmann::json::parse(again.body);
  EXPECT_EQ(reply["duplicate"], true);
  EXPECT_FALSE(reply.contains("trials"));
  EXPECT_EQ(counts().leased, 1);
  EXPECT_EQ(counts().pending, 1);

  // A lease part the coordinator refuses (a group it does not know) leaves the completion
  // stored and says why.
  const int64_t second = nlohmann::json::parse(done.body)["trials"][0]["trial_id"];
  lease_id = nlohmann::json::parse(done.body)["trials"][0]["lease_id"];
  auto unknown = Secure("POST", "/api/v1/trials/" + std::to_string(second) + "/complete",
                        body({{"group_id", g + 100}, {"free_ranks", 1}}));
  ASSERT_EQ(unknown.status, 200) << unknown.body;
  reply = nlohmann::json::parse(unknown.body);
  EXPECT_EQ(reply["stored"], true);
  EXPECT_NE(reply.value("lease_error", "").find("not registered"), std::string::npos)
      << unknown.body;
  EXPECT_EQ(counts().done, 2);
  EXPECT_EQ(counts().pending, 1);
}

// A group's label (`chromatune worker --label`, set by `chromatune run`) shows in status and
// in Coordinator::GroupLabels; a label that is not a string is refused.
TEST_F(ApiTest, GroupLabelsAreReported) {
  ASSERT_EQ(
      Secure("POST", "/api/v1/groups", R"({"ranks": 1, "host": "h", "label": "g0.0"})").status,
      201);
  ASSERT_EQ(Secure("POST", "/api/v1/groups", R"({"ranks": 1, "host": "h"})").status, 201);
  auto bad = Secure("POST", "/api/v1/groups", R"({"ranks": 1, "label": 7})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Error(bad).find("label"), std::string::npos) << Error(bad);
  auto status = Secure("GET", "/api/v1/status");
  ASSERT_EQ(status.status, 200);
  auto groups = nlohmann::json::parse(status.body)["groups"];
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].value("label", ""), "g0.0");
  EXPECT_FALSE(groups[1].contains("label"));
  EXPECT_EQ(coordinator_->GroupLabels(), std::set<std::string>{"g0.0"});
}

// Each rank's device (issue 16) is registered and shown by status as sent; workers from before
// it (strings, or no "devices") still register; a malformed entry is a 400 naming it.
TEST_F(ApiTest, GroupDevicesAreReported) {
  const char* gpu =
      R"({"ranks": 2, "host": "h", "devices": [{"kind": "cuda", "index": 0, "name": "NVIDIA H100"},
          {"kind": "cuda", "index": 1, "name": "NVIDIA H100"}]})";
  ASSERT_EQ(Secure("POST", "/api/v1/groups", gpu).status, 201);
  ASSERT_EQ(
      Secure("POST", "/api/v1/groups", R"({"ranks": 1, "host": "h", "devices": ["cpu"]})").status,
      201);
  ASSERT_EQ(Secure("POST", "/api/v1/groups", R"({"ranks": 1, "host": "h"})").status, 201);
  for (const char* body : {R"({"ranks": 1, "devices": [{"index": 0}]})",
                           R"({"ranks": 1, "devices": [{"kind": "cuda", "index": "0"}]})",
                           R"({"ranks": 1, "devices": {"kind": "cpu"}})"}) {
    auto bad = Secure("POST", "/api/v1/groups", body);
    EXPECT_EQ(bad.status, 400) << body;
    EXPECT_NE(Error(bad).find("devices"), std::string::npos) << Error(bad);
  }
  auto status = Secure("GET", "/api/v1/status");
  ASSERT_EQ(status.status, 200);
  auto groups = nlohmann::json::parse(status.body)["groups"];
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0]["devices"], nlohmann::json::parse(gpu)["devices"]);
  EXPECT_EQ(groups[1]["devices"], nlohmann::json::parse(R"(["cpu"])"));
  EXPECT_EQ(groups[2]["devices"], nlohmann::json::array());
}

// Every route against every role (docs/protocol.md, "Roles"): 403 names the rule.
TEST_F(ApiTest, EachRoleReachesOnlyItsRoutes) {
  const std::vector<const char*> everyone = {kToken, kAliceToken, kBobToken, kViewerToken,
                                             kWorkerToken};
  auto code = [&](const char* token, const std::string& method, const std::string& path,
                  const std::string& body = "{}") { return As(token, method, path, body).status; };
  const std::string sweep =
      nlohmann::json{{"yaml", NoopSweep("alices", 3)}, {"origin", "a.yaml"}}.dump();
  EXPECT_EQ(code(kViewerToken, "POST", "/api/v1/sweeps", sweep), 403);
  EXPECT_EQ(code(kWorkerToken, "POST", "/api/v1/sweeps", sweep), 403);
  EXPECT_EQ(code(kAliceToken, "POST", "/api/v1/sweeps", sweep), 201);
  auto viewer_submit = As(kViewerToken, "POST", "/api/v1/sweeps", sweep);
  EXPECT_NE(Error(viewer_submit).find("viewers may only read"), std::string::npos)
      << viewer_submit.body;
  // A takeover of alice's sweep by bob: 409 naming the owner.
  auto takeover = As(kBobToken, "POST", "/api/v1/sweeps", sweep);
  EXPECT_EQ(takeover.status, 409);
  EXPECT_NE(Error(takeover).find("owned by alice"), std::string::npos) << takeover.body;

  for (const char* path : {"/api/v1/status", "/api/v1/audit", "/api/v1/sweeps/alices"}) {
    for (const char* token : everyone) {
      EXPECT_EQ(code(token, "GET", path, ""), token == kWorkerToken ? 403 : 200)
          << path << " " << token;
    }
  }
  auto worker_read = As(kWorkerToken, "GET", "/api/v1/status");
  EXPECT_NE(Error(worker_read).find("workers may only register groups"), std::string::npos);

  // Worker routes: only workers (and admins) register groups and lease.
  const std::string group = R"({"ranks": 1, "host": "h"})";
  for (const char* token : {kAliceToken, kBobToken, kViewerToken}) {
    EXPECT_EQ(code(token, "POST", "/api/v1/groups", group), 403) << token;
    EXPECT_EQ(code(token, "POST", "/api/v1/lease", R"({"group_id": 1, "free_ranks": 1})"), 403);
  }
  auto user_group = As(kAliceToken, "POST", "/api/v1/groups", group);
  EXPECT_NE(Error(user_group).find("worker token"), std::string::npos) << user_group.body;
  auto reg = As(kWorkerToken, "POST", "/api/v1/groups", group);
  ASSERT_EQ(reg.status, 201);
  const int64_t g = nlohmann::json::parse(reg.body)["group_id"];
  const std::string ask = nlohmann::json{{"group_id", g}, {"free_ranks", 1}}.dump();
  EXPECT_EQ(code(kToken, "POST", "/api/v1/lease", ask), 403);  // not the group's user
  auto lease = As(kWorkerToken, "POST", "/api/v1/lease", ask);
  ASSERT_EQ(lease.status, 200) << lease.body;
  auto trial = nlohmann::json::parse(lease.body)["trials"].at(0);
  const std::string hb = "/api/v1/trials/" + std::to_string(trial["trial_id"].get<int64_t>());
  const std::string beat =
      nlohmann::json{{"attempt", 1}, {"lease_id", trial["lease_id"]}, {"progress", 0.1}}.dump();
  for (const char* token : {kAliceToken, kBobToken, kViewerToken, kToken}) {
    EXPECT_EQ(code(token, "POST", hb + "/heartbeat", beat), 403) << token;
    EXPECT_EQ(code(token, "POST", hb + "/release", beat), 403) << token;
  }
  EXPECT_EQ(code(kWorkerToken, "POST", hb + "/heartbeat", beat), 200);

  // Cancel and priority: the owner, or an admin; never a viewer or a worker.
  const std::string prio = R"({"priority": 5})";
  for (const char* token : {kBobToken, kViewerToken, kWorkerToken}) {
    EXPECT_EQ(code(token, "POST", "/api/v1/sweeps/alices/priority", prio), 403) << token;
    EXPECT_EQ(code(token, "POST", "/api/v1/sweeps/alices/cancel"), 403) << token;
  }
  auto bob_cancel = As(kBobToken, "POST", "/api/v1/sweeps/alices/cancel", "{}");
  EXPECT_NE(Error(bob_cancel).find("user bob may not cancel sweep \"alices\" owned by alice"),
            std::string::npos)
      << bob_cancel.body;
  EXPECT_EQ(store_->GetSweep("alices")->counts.cancelled, 0);
  EXPECT_EQ(code(kAliceToken, "POST", "/api/v1/sweeps/alices/priority", R"({"priority": 101})"),
            400);  // over --max-user-priority (100)
  EXPECT_EQ(code(kAliceToken, "POST", "/api/v1/sweeps/alices/priority", prio), 200);
  EXPECT_EQ(code(kToken, "POST", "/api/v1/sweeps/alices/priority", R"({"priority": 500})"), 200);
  EXPECT_EQ(code(kAliceToken, "POST", "/api/v1/sweeps/alices/cancel"), 200);
  auto audit = nlohmann::json::parse(Secure("GET", "/api/v1/audit").body)["audit"];
  ASSERT_EQ(audit.size(), 4u) << audit.dump();
  EXPECT_EQ(audit[0]["action"], "cancel");
  EXPECT_EQ(audit[1]["user"], "root");
}

// SIGHUP swaps the token table: a revoked token is refused at once, a new one accepted.
TEST_F(ApiTest, ReplacedTokensTakeEffectAtOnce) {
  EXPECT_EQ(As(kBobToken, "GET", "/api/v1/status").status, 200);
  auto table = TokenTable::Parse("bob a-new-token-for-bob-0123 viewer\n", "tokens");
  ASSERT_TRUE(table.ok());
  ASSERT_TRUE(secure_->ReplaceTokens(*table).ok());
  EXPECT_EQ(As(kBobToken, "GET", "/api/v1/status").status, 401);
  EXPECT_EQ(As("a-new-token-for-bob-0123", "GET", "/api/v1/status").status, 200);
  EXPECT_FALSE(insecure_->ReplaceTokens(*table).ok());
}

TEST(HttpStatusForTest, Mapping) {
  EXPECT_EQ(HttpStatusFor(InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(PermissionDenied("x")), 403);  // authentication: 401 by the Api
  EXPECT_EQ(HttpStatusFor(Cancelled("x")), 403);
  EXPECT_EQ(HttpStatusFor(NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(FailedPrecondition("x")), 409);
  EXPECT_EQ(HttpStatusFor(Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusFor(Internal("x")), 500);
}

}  // namespace
}  // namespace chromatune::coordinator
