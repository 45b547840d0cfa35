// Fuzzes the coordinator's request path as the HTTP server drives it: the target split into
// path and query (ParseTarget), the UTF-8 check of path, query and headers (IsValidUtf8),
// then the routes (Api::Handle) over a real SQLite store and HDF5 artifact file holding a
// sweep, a registered worker group and one leased trial.
//
// Input: an HTTP request as text, "METHOD TARGET HTTP/1.1\r\nName: value\r\n...\r\n\r\nBODY"
// (LF line ends work too). The header "X-Peer: remote" makes the peer non-loopback and
// "X-Api: insecure" sends the request to the --insecure-loopback Api instead of the one with
// tokens. "@LEASE@" in the body is replaced by the leased trial's lease id (trial 1, attempt
// 1), so seeds reach heartbeat, complete, fail and release past the fencing check.
//
// Checks: the handler never throws (an escaped exception is a crash here, as it was on the
// server before its catch-all); it responds exactly once (after long polls are answered);
// the status is an HTTP status; a JSON reply is a JSON object.
//
// Every input starts from the same state: the store and artifact file are copied from a
// template made at start-up, so a crash reproduces from its input alone.
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "coordinator/api.h"
#include "coordinator/coordinator.h"
#include "coordinator/hdf5_artifact_sink.h"
#include "coordinator/http_types.h"
#include "storage/result_store.h"

namespace fs = std::filesystem;
using namespace chromatune;
using namespace chromatune::coordinator;

namespace {

const char* kTokens =
    "root admin-token-0123456789 admin\n"
    "alice alice-token-0123456789\n"
    "vera viewer-token-0123456789 viewer\n"
    "w worker-token-0123456789 worker\n";

const char* kSweep =
    "name: fz\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
    "replicates: {data_seeds: [1], train_seeds: [1, 2, 3]}\n"
    "methods:\n  - {name: noop, sleep_ms: 10}\nretries: 1\n";

struct Fixture {
  std::string dir;
  std::string lease_id;
  std::string Path(const std::string& name) const { return dir + "/" + name; }
};

void Die(const std::string& what) {
  std::fprintf(stderr, "http_request_fuzz: %s\n", what.c_str());
  std::abort();
}

// The template: a store with sweep "fz" (3 noop trials, owned by alice), group 1 registered
// by worker "w", and trial 1 leased to it.
Fixture MakeTemplate() {
  Fixture f;
  const char* shm = "/dev/shm";
  std::string tmpl = std::string(fs::is_directory(shm) ? shm : "/tmp") + "/ct-http-fuzz-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
  f.dir = tmpl;
  static std::string dir_to_remove;
  dir_to_remove = tmpl;
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(dir_to_remove, ec);
  });
  auto store = ResultStore::Open(f.Path("template.db"), StoreMode::kReadWrite);
  if (!store.ok()) Die(store.status().ToString());
  Coordinator coordinator(store->get(), nullptr, CoordinatorOptions{});
  auto submitted = coordinator.SubmitSweep(kSweep, "fz.yaml", {"alice", Role::kUser});
  if (!submitted.ok()) Die(submitted.status().ToString());
  WorkerGroupInfo info;
  info.host = "fuzz-host";
  info.ranks = 2;
  info.user = "w";
  info.role = "worker";
  auto reg = coordinator.RegisterGroup(info, "g0.0");
  if (!reg.ok()) Die(reg.status().ToString());
  coordinator.Lease(
      reg->group_id, 1, 1, 0,
      [&](Result<std::vector<LeaseGrant>> grants) {
        if (!grants.ok() || grants->size() != 1) Die("template: no lease granted");
        f.lease_id = (*grants)[0].lease_id;
      },
      "w");
  if (f.lease_id.empty()) Die("template: the lease was not answered at once");
  return f;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits off one line (without its CR LF or LF); false at the end of the input.
bool NextLine(std::string_view* rest, std::string_view* line) {
  if (rest->empty()) return false;
  size_t end = rest->find('\n');
  *line = rest->substr(0, end);
  *rest = end == std::string_view::npos ? std::string_view() : rest->substr(end + 1);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return true;
}

struct ParsedInput {
  HttpRequest request;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-cased names
  bool utf8_ok = true;
  bool insecure = false;
};

ParsedInput Parse(std::string_view text, const std::string& lease_id) {
  ParsedInput in;
  std::string_view line;
  NextLine(&text, &line);
  const size_t sp1 = line.find(' ');
  in.request.method = std::string(line.substr(0, sp1));
  if (sp1 != std::string_view::npos) {
    std::string_view rest = line.substr(sp1 + 1);
    in.target = std::string(rest.substr(0, rest.find(' ')));
  }
  while (NextLine(&text, &line) && !line.empty()) {
    const size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    std::string value;
    if (colon != std::string_view::npos) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      value = std::string(v);
    }
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) in.utf8_ok = false;
    in.headers[Lower(name)] = value;
  }
  std::string body(text);
  for (size_t at = body.find("@LEASE@"); at != std::string::npos;
       at = body.find("@LEASE@", at + lease_id.size())) {
    body.replace(at, 7, lease_id);
  }
  in.request.body = std::move(body);
  in.request.authorization = in.headers["authorization"];
  in.request.from_loopback = in.headers["x-peer"] != "remote";
  in.insecure = in.headers["x-api"] == "insecure";
  ParseTarget(in.target, &in.request.path, &in.request.query);
  // What HttpServer checks before it calls the handler (its 400).
  if (!IsValidUtf8(in.request.path)) in.utf8_ok = false;
  for (const auto& [k, v] : in.request.query) {
    if (!IsValidUtf8(k) || !IsValidUtf8(v)) in.utf8_ok = false;
  }
  return in;
}

void CheckResponse(const HttpResponse& r, const std::string& what) {
  if (r.status < 100 || r.status > 599) Die(what + ": status " + std::to_string(r.status));
  if (r.content_type == "application/json") {
    auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) Die(what + ": reply is not a JSON object: " + r.body);
  }
}

const Fixture& GetFixture() {
  static const Fixture fixture = [] {
    // Log lines are formatted (a format error would throw) but go nowhere.
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>()));
    spdlog::set_level(spdlog::level::debug);
    return MakeTemplate();
  }();
  return fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = GetFixture();
  ParsedInput in = Parse(std::string_view(reinterpret_cast<const char*>(data), size), f.lease_id);
  if (!in.utf8_ok) return 0;  // the server answers 400 before any handler runs

  // A fresh copy of the template's state.
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", ".h5", ".h5.journal"}) {
    fs::remove(f.Path(std::string("work.db") + suffix), ec);
  }
  fs::copy_file(f.Path("template.db"), f.Path("work.db"), ec);
  if (ec) Die("copy: " + ec.message());
  auto store = ResultStore::Open(f.Path("work.db"), StoreMode::kReadWrite);
  if (!store.ok()) Die(store.status().ToString());
  auto sink = OpenHdf5ArtifactSink(f.Path("work.h5"));
  if (!sink.ok()) Die(sink.status().ToString());
  Coordinator coordinator(store->get(), sink->get(), CoordinatorOptions{});
  Status recovered = coordinator.Recover();
  if (!recovered.ok()) Die(recovered.ToString());
  static const TokenTable tokens = [] {
    auto t = TokenTable::Parse(kTokens, "tokens");
    if (!t.ok()) Die(t.status().ToString());
    return *t;
  }();
  Api api(&coordinator, in.insecure ? std::nullopt : std::optional<TokenTable>(tokens));

  const std::string what = in.request.method + " " + in.target;
  // A submission may be answered on the planner thread.
  auto responses = std::make_shared<std::atomic<int>>(0);
  api.Handle(in.request, [responses, what](HttpResponse r) {
    CheckResponse(r, what);
    ++*responses;
  });
  coordinator.Tick();
  coordinator.DropWaiters();  // answers a long poll or a submission that is still waiting
  for (int i = 0; i < 5000 && *responses == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (*responses != 1) Die(what + ": " + std::to_string(responses->load()) + " responses");
  return 0;
}
