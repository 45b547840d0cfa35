#include "coordinator/api.h"

#include <optional>
#include <sstream>
#include <vector>

#include "common/version.h"
#include "coordinator/json_fields.h"
#include "coordinator/protocol/group_devices.h"
#include "coordinator/protocol/wire.h"

namespace chromatune::coordinator {
namespace {

constexpr const char* kPrefix = "/api/v1/";
// Audit records GET /api/v1/audit answers with (newest first).
constexpr int kAuditRecords = 1000;
// The most ranks a group may register (CoordinatorOptions::max_group_ranks decides; this
// bounds the field's parse).
constexpr int64_t kMaxGroupRanks = 1 << 20;

HttpResponse FromStatus(const Status& s) {
  HttpResponse r = HttpResponse::Error(HttpStatusFor(s), s.message());
  // A quarantined worker group: the client stops (docs/protocol.md, "Quarantine").
  if (s.code() == StatusCode::kCancelled) {
    r.body = nlohmann::json{{"error", s.message()}, {"stop", true}}.dump();
  }
  return r;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// Parses "123" as a positive id; -1 otherwise.
int64_t ParseId(const std::string& s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  return std::stoll(s);
}

nlohmann::json GrantsJson(const std::vector<LeaseGrant>& grants) {
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& g : grants) {
    trials.push_back({{"trial_id", g.trial_id},
                      {"attempt", g.attempt},
                      {"lease_id", g.lease_id},
                      {"ranks", g.ranks},
                      {"sweep", g.sweep},
                      {"item", g.item}});
  }
  return {{"trials", std::move(trials)}};
}

// What a lease request asks for: the group and the room it has.
struct LeaseAsk {
  int64_t group_id = 0;
  int free_ranks = 1;
  int max_trials = 1;
};

// {"group_id", "free_ranks", "max_trials" (default 1)} of a lease request, or of the
// "lease" member of a completion.
Result<LeaseAsk> ParseLeaseAsk(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgument(where + ": must be an object");
  JsonFields f(j, where);
  CT_ASSIGN_OR_RETURN(int64_t group, f.Int("group_id", 1, INT64_MAX));
  CT_ASSIGN_OR_RETURN(int64_t free_ranks, f.Int("free_ranks", 1, 1 << 20));
  CT_ASSIGN_OR_RETURN(int64_t max_trials, f.IntOr("max_trials", 1, 1, 1024));
  return LeaseAsk{group, static_cast<int>(free_ranks), static_cast<int>(max_trials)};
}

}  // namespace

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kResourceExhausted:
      return 400;
    case StatusCode::kPermissionDenied:
    case StatusCode::kCancelled:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

Api::Api(Coordinator* coordinator, std::optional<TokenTable> tokens)
    : coordinator_(coordinator), gate_(std::move(tokens)) {}

Status Api::ReplaceTokens(TokenTable tokens) { return gate_.ReplaceTokens(std::move(tokens)); }

void Api::Handle(HttpRequest request, Responder respond) {
  if (auto session = gate_.HandleSession(request)) {
    respond(std::move(*session));
    return;
  }
  if (extra_.serves && extra_.serves(request.path)) {
    if (request.path.rfind(kPrefix, 0) == 0) {
      auto who = gate_.Authenticate(request);
      if (!who.ok()) {
        respond(gate_.Refusal(who.status()));
        return;
      }
      // The dashboard's API is read-only: reading is what the role must allow.
      Status allowed = Authorize(*who, Action::kRead, request.method + " " + request.path);
      if (!allowed.ok()) {
        respond(FromStatus(allowed));
        return;
      }
    } else if (Status local = gate_.CheckLocal(request); !local.ok()) {
      respond(gate_.Refusal(local));  // the page itself: no DNS rebinding either
      return;
    }
    extra_.handler(std::move(request), std::move(respond));
    return;
  }
  if (request.path.rfind(kPrefix, 0) != 0) {
    respond(HttpResponse::Error(404, "no route " + request.method + " " + request.path +
                                         " (the API lives under /api/v1/)"));
    return;
  }
  if (request.path == "/api/v1/health") {
    respond(HttpResponse::Json(200, {{"ok", true}, {"version", kChromatuneVersion}}));
    return;
  }
  auto who = gate_.Authenticate(request);
  if (!who.ok()) {
    respond(gate_.Refusal(who.status()));
    return;
  }
  bool deferred = false;
  HttpResponse response = Route(request, *who, respond, &deferred);
  if (!deferred) respond(std::move(response));
}

HttpResponse Api::Route(const HttpRequest& req, const Identity& who, const Responder& respond,
                        bool* deferred) {
  const auto seg = Segments(req.path.substr(std::string(kPrefix).size()));
  const std::string route = req.method + " " + req.path;
  const std::string& user = who.user;
  auto body = [&]() -> Result<nlohmann::json> { return ParseJsonObject(req.body, route); };
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  // Every route below starts by asking whether the role allows it (403 naming the rule).
  auto refused = [&](Action action) -> std::optional<HttpResponse> {
    Status allowed = Authorize(who, action, route);
    if (allowed.ok()) return std::nullopt;
    return FromStatus(allowed);
  };

  if (seg.size() == 1 && seg[0] == "status" && get) {
    if (auto r = refused(Action::kRead)) return *r;
    auto s = coordinator_->StatusReport();
    return s.ok() ? HttpResponse::Json(200, *s) : FromStatus(s.status());
  }
  if (seg.size() == 1 && seg[0] == "audit" && get) {
    if (auto r = refused(Action::kRead)) return *r;
    auto s = coordinator_->AuditReport(kAuditRecords);
    return s.ok() ? HttpResponse::Json(200, {{"audit", *s}}) : FromStatus(s.status());
  }
  if (seg.size() == 1 && seg[0] == "groups" && post) {
    if (auto r = refused(Action::kRegisterGroup)) return *r;
    auto j = body();
    if (!j.ok()) return FromStatus(j.status());
    JsonFields f(*j, route);
    auto ranks = f.Int("ranks", 1, kMaxGroupRanks);
    if (!ranks.ok()) return FromStatus(ranks.status());
    auto host = f.StringOr("host", "");
    if (!host.ok()) return FromStatus(host.status());
    auto version = f.StringOr("version", "");
    if (!version.ok()) return FromStatus(version.status());
    auto label = f.StringOr("label", "");
    if (!label.ok()) return FromStatus(label.status());
    WorkerGroupInfo info;
    info.user = user;
    info.role = RoleName(who.role);
    info.ranks = static_cast<int>(*ranks);
    info.host = *host;
    info.version = *version;
    // Optional: workers before issue 16 send ["cpu", ...] or nothing (group_devices.h).
    info.devices = j->value("devices", nlohmann::json::array());
    if (Status s = protocol::CheckGroupDevices(info.devices); !s.ok()) {
      return HttpResponse::Error(400, route + ": field " + s.message());
    }
    auto reg = coordinator_->RegisterGroup(info, *label);
    if (!reg.ok()) return FromStatus(reg.status());
    return HttpResponse::Json(201, {{"group_id", reg->group_id},
                                    {"lease_timeout_ms", reg->lease_timeout_ms},
                                    {"heartbeat_interval_ms", reg->heartbeat_interval_ms}});
  }
  if (seg.size() == 1 && seg[0] == "lease" && post) {
    if (auto r = refused(Action::kLease)) return *r;
    auto j = body();
    if (!j.ok()) return FromStatus(j.status());
    auto ask = ParseLeaseAsk(*j, route);
    if (!ask.ok()) return FromStatus(ask.status());
    auto wait_ms = JsonFields(*j, route).IntOr("wait_ms", 0, 0, 3600 * 1000);
    if (!wait_ms.ok()) return FromStatus(wait_ms.status());
    *deferred = true;
    coordinator_->Lease(
        ask->group_id, ask->free_ranks, ask->max_trials, *wait_ms,
        [respond](Result<std::vector<LeaseGrant>> grants) {
          respond(grants.ok() ? HttpResponse::Json(200, GrantsJson(*grants))
                              : FromStatus(grants.status()));
        },
        user);
    return {};
  }
  if (seg.size() == 3 && seg[0] == "trials" && post) {
    const int64_t trial = ParseId(seg[1]);
    if (trial < 0) return HttpResponse::Error(404, "no trial \"" + seg[1] + "\"");
    const std::string& verb = seg[2];
    if (verb != "heartbeat" && verb != "complete" && verb != "fail" && verb != "release") {
      return HttpResponse::Error(404, "no route " + route);
    }
    if (auto r = refused(Action::kReport)) return *r;
    auto j = body();
    if (!j.ok()) return FromStatus(j.status());
    JsonFields f(*j, route);
    auto attempt = f.Int("attempt", 1, INT32_MAX);
    if (!attempt.ok()) return FromStatus(attempt.status());
    // Fencing: the lease id of the grant, from the token whose group holds the lease.
    auto lease_id = f.String("lease_id");
    if (!lease_id.ok()) return FromStatus(lease_id.status());
    const LeaseClaim a{static_cast<int>(*attempt), *lease_id, user};
    if (verb == "heartbeat") {
      auto progress = f.DoubleOr("progress", -1.0);
      if (!progress.ok()) return FromStatus(progress.status());
      auto note = f.StringOr("note", "");
      if (!note.ok()) return FromStatus(note.status());
      // The search's rung result, when the trial has one (docs/protocol.md).
      std::optional<RungResult> rung;
      if (j->contains("rung")) {
        auto parsed = ParseRungResult((*j)["rung"], route + ": field \"rung\"");
        if (!parsed.ok()) return FromStatus(parsed.status());
        rung = std::move(parsed).value();
      }
      auto started = f.BoolOr("started", true);
      if (!started.ok()) return FromStatus(started.status());
      auto answer = coordinator_->Heartbeat(trial, a, *progress, *note, rung, *started);
      if (!answer.ok()) return FromStatus(answer.status());
      return HttpResponse::Json(200, {{"cancel", answer->cancel}, {"stop", answer->stop}});
    }
    if (verb == "complete") {
      if (!j->contains("result"))
        return HttpResponse::Error(400, route + ": field \"result\": missing");
      auto result = protocol::DecodeResult((*j)["result"]);
      if (!result.ok()) return FromStatus(result.status().WithContext(route));
      // Optional lease of the next round in the same exchange, checked before storing.
      std::optional<LeaseAsk> next;
      if (j->contains("lease")) {
        auto ask = ParseLeaseAsk((*j)["lease"], route + " lease");
        if (!ask.ok()) return FromStatus(ask.status());
        next = *ask;
      }
      auto dup = coordinator_->Complete(trial, a, *result);
      if (!dup.ok()) return FromStatus(dup.status());
      nlohmann::json reply = {{"stored", !*dup}, {"duplicate", *dup}};
      // A repeated completion leases nothing: the first exchange may have leased already.
      if (next && !*dup) {
        coordinator_->Lease(
            next->group_id, next->free_ranks, next->max_trials, 0,
            [&reply](Result<std::vector<LeaseGrant>> grants) {
              if (grants.ok()) {
                reply["trials"] = GrantsJson(*grants)["trials"];
              } else {
                reply["lease_error"] = grants.status().ToString();
                if (grants.status().code() == StatusCode::kCancelled) reply["stop"] = true;
              }
            },
            user);
      }
      return HttpResponse::Json(200, reply);
    }
    if (verb == "fail") {
      auto error = f.String("error");
      if (!error.ok()) return FromStatus(error.status());
      auto final = f.BoolOr("final", false);
      if (!final.ok()) return FromStatus(final.status());
      auto state = coordinator_->Fail(trial, a, *error, *final);
      if (!state.ok()) return FromStatus(state.status());
      return HttpResponse::Json(200, {{"state", TrialStateName(*state)}});
    }
    auto reason = f.StringOr("reason", "released by the worker");
    if (!reason.ok()) return FromStatus(reason.status());
    auto infrastructure = f.BoolOr("infrastructure", false);
    if (!infrastructure.ok()) return FromStatus(infrastructure.status());
    Status s = coordinator_->Release(trial, a, *reason, *infrastructure);
    if (!s.ok()) return FromStatus(s);
    return HttpResponse::Json(200, {{"state", "pending"}});
  }
  if (seg.size() == 1 && seg[0] == "sweeps" && post) {
    if (auto r = refused(Action::kSubmit)) return *r;
    auto j = body();
    if (!j.ok()) return FromStatus(j.status());
    JsonFields f(*j, route);
    auto yaml = f.String("yaml");
    if (!yaml.ok()) return FromStatus(yaml.status());
    auto origin = f.StringOr("origin", "submitted.yaml");
    if (!origin.ok()) return FromStatus(origin.status());
    // Answered when stored (201), or with its progress while it is planned (202: the client
    // polls GET /api/v1/sweeps/NAME/submission); never held on an I/O thread.
    *deferred = true;
    coordinator_->SubmitSweep(*yaml, *origin, who, [respond](Result<nlohmann::json> outcome) {
      if (!outcome.ok()) {
        respond(FromStatus(outcome.status()));
        return;
      }
      const bool planning = outcome->value("state", std::string()) == "planning";
      respond(HttpResponse::Json(planning ? 202 : 201, *outcome));
    });
    return {};
  }
  if (seg.size() == 3 && seg[0] == "sweeps" && seg[2] == "submission" && get) {
    if (auto r = refused(Action::kRead)) return *r;
    auto s = coordinator_->SubmissionReport(seg[1]);
    return s.ok() ? HttpResponse::Json(200, *s) : FromStatus(s.status());
  }
  if (seg.size() == 2 && seg[0] == "sweeps" && get) {
    if (auto r = refused(Action::kRead)) return *r;
    auto s = coordinator_->SweepReport(seg[1]);
    return s.ok() ? HttpResponse::Json(200, *s) : FromStatus(s.status());
  }
  if (seg.size() == 3 && seg[0] == "sweeps" && seg[2] == "cancel" && post) {
    if (auto r = refused(Action::kCancel)) return *r;
    auto n = coordinator_->CancelSweep(seg[1], who);
    if (!n.ok()) return FromStatus(n.status());
    return HttpResponse::Json(200, {{"sweep", seg[1]}, {"cancelled", *n}, {"by", user}});
  }
  if (seg.size() == 3 && seg[0] == "sweeps" && seg[2] == "priority" && post) {
    if (auto r = refused(Action::kSetPriority)) return *r;
    auto j = body();
    if (!j.ok()) return FromStatus(j.status());
    auto priority = JsonFields(*j, route).Int("priority", INT32_MIN, INT32_MAX);
    if (!priority.ok()) return FromStatus(priority.status());
    Status s = coordinator_->SetPriority(seg[1], static_cast<int>(*priority), who);
    if (!s.ok()) return FromStatus(s);
    return HttpResponse::Json(200, {{"sweep", seg[1]}, {"priority", *priority}, {"by", user}});
  }
  return HttpResponse::Error(404, "no route " + route);
}

}  // namespace chromatune::coordinator
