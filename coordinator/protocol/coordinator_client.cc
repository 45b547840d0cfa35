#include "coordinator/protocol/coordinator_client.h"

#include "coordinator/protocol/wire.h"

namespace chromatune::protocol {
namespace {

Status FromHttp(int status, const std::string& message) {
  switch (status) {
    case 400:
      return InvalidArgument(message);
    case 401:
    case 403:
      return PermissionDenied(message);
    case 404:
      return NotFound(message);
    case 409:
      return FailedPrecondition(message);
    case 413:
      return ResourceExhausted(message);
    default:
      return Unavailable(message);
  }
}

std::string TrialPath(int64_t trial_id, const char* verb) {
  return "/api/v1/trials/" + std::to_string(trial_id) + "/" + verb;
}

// The "trials" of a lease reply (absent: none).
std::vector<LeasedTrial> LeasedTrials(const nlohmann::json& reply) {
  std::vector<LeasedTrial> out;
  for (const auto& t : reply.value("trials", nlohmann::json::array())) {
    LeasedTrial l;
    l.trial_id = t.value("trial_id", int64_t{0});
    l.attempt = t.value("attempt", 0);
    l.lease_id = t.value("lease_id", std::string());
    l.ranks = t.value("ranks", 1);
    l.sweep = t.value("sweep", std::string());
    l.item = t.value("item", nlohmann::json::object());
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

CoordinatorClient::CoordinatorClient(Endpoint endpoint, std::string token)
    : http_(std::move(endpoint)), token_(std::move(token)) {}

Result<nlohmann::json> CoordinatorClient::Call(const std::string& method, const std::string& target,
                                               const nlohmann::json* body,
                                               std::chrono::milliseconds timeout) {
  CT_ASSIGN_OR_RETURN(HttpReply reply,
                      http_.Request(method, target, body ? body->dump() : "", token_, timeout));
  nlohmann::json j;
  if (!reply.body.empty()) {
    j = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Unavailable(method + " " + target + ": reply is not JSON (HTTP " +
                         std::to_string(reply.status) + ")");
    }
  }
  if (reply.status >= 200 && reply.status < 300) return j;
  std::string message = j.is_object() && j.contains("error") && j["error"].is_string()
                            ? j["error"].get<std::string>()
                            : "HTTP " + std::to_string(reply.status);
  // "stop": the coordinator quarantined this worker group (docs/protocol.md).
  if (j.is_object() && j.value("stop", false) == true) {
    return Cancelled(method + " " + target + ": " + message);
  }
  return FromHttp(reply.status, method + " " + target + ": " + message);
}

Result<GroupRegistration> CoordinatorClient::RegisterGroup(int ranks, const nlohmann::json& devices,
                                                           const std::string& host,
                                                           const std::string& version,
                                                           const std::string& label) {
  nlohmann::json body = {
      {"ranks", ranks}, {"devices", devices}, {"host", host}, {"version", version}};
  if (!label.empty()) body["label"] = label;
  CT_ASSIGN_OR_RETURN(nlohmann::json j, Call("POST", "/api/v1/groups", &body, timeout_));
  GroupRegistration g;
  g.group_id = j.value("group_id", int64_t{0});
  g.lease_timeout_ms = j.value("lease_timeout_ms", int64_t{30000});
  g.heartbeat_interval_ms = j.value("heartbeat_interval_ms", int64_t{10000});
  if (g.group_id <= 0) return Unavailable("register: reply has no group_id");
  return g;
}

Result<std::vector<LeasedTrial>> CoordinatorClient::Lease(int64_t group_id, int free_ranks,
                                                          int max_trials,
                                                          std::chrono::milliseconds wait) {
  nlohmann::json body = {{"group_id", group_id},
                         {"free_ranks", free_ranks},
                         {"max_trials", max_trials},
                         {"wait_ms", wait.count()}};
  CT_ASSIGN_OR_RETURN(nlohmann::json j, Call("POST", "/api/v1/lease", &body, timeout_ + wait));
  return LeasedTrials(j);
}

Result<HeartbeatReply> CoordinatorClient::Heartbeat(int64_t trial_id, int attempt,
                                                    const std::string& lease_id, double progress,
                                                    const std::string& note,
                                                    const nlohmann::json& rung, bool started) {
  nlohmann::json body = {
      {"attempt", attempt}, {"lease_id", lease_id}, {"progress", progress}, {"note", note}};
  if (!rung.is_null()) body["rung"] = rung;
  if (!started) body["started"] = false;
  CT_ASSIGN_OR_RETURN(nlohmann::json j,
                      Call("POST", TrialPath(trial_id, "heartbeat"), &body, timeout_));
  HeartbeatReply r;
  r.cancel = j.value("cancel", false);
  r.stop = j.value("stop", false);
  return r;
}

Status CoordinatorClient::Complete(int64_t trial_id, int attempt, const std::string& lease_id,
                                   const TrialResult& result) {
  nlohmann::json body = {
      {"attempt", attempt}, {"lease_id", lease_id}, {"result", EncodeResult(result)}};
  return Call("POST", TrialPath(trial_id, "complete"), &body, timeout_).status();
}

Result<std::vector<LeasedTrial>> CoordinatorClient::CompleteAndLease(
    int64_t trial_id, int attempt, const std::string& lease_id, const TrialResult& result,
    int64_t group_id, int free_ranks, int max_trials) {
  nlohmann::json body = {
      {"attempt", attempt},
      {"lease_id", lease_id},
      {"result", EncodeResult(result)},
      {"lease", {{"group_id", group_id}, {"free_ranks", free_ranks}, {"max_trials", max_trials}}}};
  CT_ASSIGN_OR_RETURN(nlohmann::json j,
                      Call("POST", TrialPath(trial_id, "complete"), &body, timeout_));
  return LeasedTrials(j);
}

Status CoordinatorClient::Fail(int64_t trial_id, int attempt, const std::string& lease_id,
                               const std::string& error, bool final) {
  nlohmann::json body = {
      {"attempt", attempt}, {"lease_id", lease_id}, {"error", error}, {"final", final}};
  return Call("POST", TrialPath(trial_id, "fail"), &body, timeout_).status();
}

Status CoordinatorClient::Release(int64_t trial_id, int attempt, const std::string& lease_id,
                                  const std::string& reason, bool infrastructure) {
  nlohmann::json body = {{"attempt", attempt}, {"lease_id", lease_id}, {"reason", reason}};
  if (infrastructure) body["infrastructure"] = true;
  return Call("POST", TrialPath(trial_id, "release"), &body, timeout_).status();
}

Result<nlohmann::json> CoordinatorClient::SubmitSweep(const std::string& yaml,
                                                      const std::string& origin) {
  nlohmann::json body = {{"yaml", yaml}, {"origin", origin}};
  return Call("POST", "/api/v1/sweeps", &body, timeout_);
}

Result<nlohmann::json> CoordinatorClient::GetSubmission(const std::string& sweep) {
  return Call("GET", "/api/v1/sweeps/" + sweep + "/submission", nullptr, timeout_);
}

Status CoordinatorClient::CancelSweep(const std::string& name) {
  nlohmann::json body = nlohmann::json::object();
  return Call("POST", "/api/v1/sweeps/" + name + "/cancel", &body, timeout_).status();
}

Result<nlohmann::json> CoordinatorClient::GetStatus() {
  return Call("GET", "/api/v1/status", nullptr, timeout_);
}

}  // namespace chromatune::protocol
