// `chromatune status --coordinator [https://]HOST:PORT [--token-file F] [--ca F] [--json]`: sweeps,
// worker groups, and why each waiting trial waits.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "coordinator/auth.h"
#include "coordinator/protocol/coordinator_client.h"
#include "coordinator/protocol/group_devices.h"

namespace chromatune::cli {
namespace {

struct StatusArgs {
  std::string coordinator;
  std::string token_file;
  std::string ca_file;
  bool json = false;
};

void PrintWaiting(const nlohmann::json& s);

void PrintStatus(const nlohmann::json& s) {
  // INFRA: attempts given back uncharged because the infrastructure failed them (a lost
  // grant, a worker group ended by a round-mate; docs/runtime.md, "Failure accounting").
  std::printf("%-28s %-10s %4s %8s %8s %8s %8s %8s %6s\n", "SWEEP", "USER", "PRIO", "PENDING",
              "RUNNING", "DONE", "FAILED", "TOTAL", "INFRA");
  for (const auto& w : s.value("sweeps", nlohmann::json::array())) {
    const auto c = w.value("counts", nlohmann::json::object());
    std::printf("%-28s %-10s %4d %8lld %8lld %8lld %8lld %8lld %6lld%s\n",
                w.value("name", std::string()).c_str(), w.value("user", std::string()).c_str(),
                w.value("priority", 0), static_cast<long long>(c.value("pending", 0)),
                static_cast<long long>(c.value("leased", 0) + c.value("running", 0)),
                static_cast<long long>(c.value("done", 0)),
                static_cast<long long>(c.value("failed", 0)),
                static_cast<long long>(c.value("total", 0)),
                static_cast<long long>(w.value("infra_requeues", 0)),
                w.value("cancelled", false) ? "  (cancelled)" : "");
  }
  // Submissions the coordinator is still planning and storing (docs/protocol.md).
  for (const auto& p : s.value("planning", nlohmann::json::array())) {
    std::printf("%-28s %-10s PLANNING: %s, %lld/%lld trials stored\n",
                p.value("sweep", std::string()).c_str(), p.value("user", std::string()).c_str(),
                p.value("phase", std::string()).c_str(),
                static_cast<long long>(p.value("stored", 0)),
                static_cast<long long>(p.value("total", 0)));
  }
  // DEVICES: where each rank computes (coordinator/protocol/group_devices.h): "cpu",
  // "2x cpu", "cuda:0 (NVIDIA H100 80GB HBM3)"; "-" for workers from before issue 16.
  std::printf("\n%-6s %-20s %5s %5s %-28s %-24s %s\n", "GROUP", "HOST", "RANKS", "FREE", "DEVICES",
              "TRIALS", "LAST SEEN");
  for (const auto& g : s.value("groups", nlohmann::json::array())) {
    // A labelled group (`worker --label`, set by `chromatune run`) shows "host [label]".
    std::string host = g.value("host", std::string());
    if (g.contains("label")) host += " [" + g.value("label", std::string()) + "]";
    const std::string devices =
        protocol::GroupDevicesText(g.value("devices", nlohmann::json::array()));
    std::printf("%-6lld %-20s %5d %5d %-28s %-24s %.1f s ago\n",
                static_cast<long long>(g.value("id", 0)), host.c_str(), g.value("ranks", 0),
                g.value("free_ranks", 0), devices.c_str(),
                g.value("trials", nlohmann::json::array()).dump().c_str(),
                g.value("last_seen_ms_ago", 0) / 1000.0);
  }
  // Groups told to stop because their leases kept expiring (docs/protocol.md, "Quarantine").
  for (const auto& q : s.value("quarantined_groups", nlohmann::json::array())) {
    std::printf("%-6lld %-20s QUARANTINED %.0f s ago (user %s): %s\n",
                static_cast<long long>(q.value("id", 0)), q.value("host", std::string()).c_str(),
                q.value("since_ms_ago", 0) / 1000.0, q.value("user", std::string()).c_str(),
                q.value("reason", std::string()).c_str());
  }
  PrintWaiting(s);
  // Who submitted, cancelled or re-prioritised what, newest first (GET /api/v1/audit has more).
  const auto audit = s.value("audit", nlohmann::json::array());
  if (!audit.empty()) {
    std::printf("\n%-24s %-12s %-9s %-28s %s\n", "AUDIT (UTC)", "USER", "ACTION", "SWEEP",
                "DETAIL");
    for (const auto& a : audit) {
      const std::time_t t = static_cast<std::time_t>(a.value("time_ms", int64_t{0}) / 1000);
      char when[32];
      std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
      std::printf("%-24s %-12s %-9s %-28s %s\n", when, a.value("user", std::string()).c_str(),
                  a.value("action", std::string()).c_str(), a.value("sweep", std::string()).c_str(),
                  a.value("detail", std::string()).c_str());
    }
  }
}

void PrintWaiting(const nlohmann::json& s) {
  const auto waiting = s.value("waiting", nlohmann::json::array());
  if (!waiting.empty()) {
    std::printf("\nWAITING\n");
    for (const auto& w : waiting) {
      std::printf("  %s: %lld trials of %d rank(s) (%lld backing off): %s\n",
                  w.value("sweep", std::string()).c_str(),
                  static_cast<long long>(w.value("runnable", 0) + w.value("backing_off", 0)),
                  w.value("ranks", 1), static_cast<long long>(w.value("backing_off", 0)),
                  w.value("reason", std::string()).c_str());
    }
    std::printf("\n%-8s %-28s %5s  %s\n", "TRIAL", "SWEEP", "RANKS", "WHY IT WAITS");
    for (const auto& t : s.value("waiting_trials", nlohmann::json::array())) {
      std::printf("%-8lld %-28s %5d  %s%s\n", static_cast<long long>(t.value("trial_id", 0)),
                  t.value("sweep", std::string()).c_str(), t.value("ranks", 1),
                  t.value("reason", std::string()).c_str(),
                  t.contains("last_error")
                      ? (" (last error: " + t["last_error"].get<std::string>() + ")").c_str()
                      : "");
    }
  }
}

int RunStatus(const StatusArgs& args) {
  auto endpoint = protocol::ParseEndpoint(args.coordinator, args.ca_file);
  if (!endpoint.ok()) {
    std::cerr << "chromatune status: --coordinator: " << endpoint.status().message() << "\n";
    return kExitBadInput;
  }
  std::string token;
  if (!args.token_file.empty()) {
    auto t = coordinator::ReadClientToken(args.token_file);
    if (!t.ok()) {
      std::cerr << "chromatune status: " << t.status().message() << "\n";
      return kExitBadInput;
    }
    token = *t;
  }
  protocol::CoordinatorClient client(*endpoint, token);
  auto status = client.GetStatus();
  if (!status.ok()) {
    std::cerr << "chromatune status: " << status.status().message() << "\n";
    return kExitFailure;
  }
  if (args.json) {
    std::cout << status->dump(2) << "\n";
  } else {
    PrintStatus(*status);
  }
  return kExitOk;
}

const CommandRegistrar kRegisterStatus("status", [](CLI::App& root) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* app =
      root.add_subcommand("status", "Show sweeps, worker groups and why waiting trials wait");
  app->add_option("--coordinator", args->coordinator,
                  "HOST:PORT of the coordinator (https://HOST:PORT when it speaks TLS)")
      ->required();
  app->add_option("--token-file", args->token_file,
                  "file holding the bearer token (\"TOKEN\" or \"USER TOKEN\")");
  app->add_option(
         "--ca", args->ca_file,
         "PEM file of the CA (or the self-signed certificate) that signed the coordinator's TLS "
         "certificate; implies https (default for https:// addresses: the system's CA store)")
      ->check(CLI::ExistingFile);
  app->add_flag("--json", args->json, "print the raw JSON of GET /api/v1/status");
  return CommandSetup{app, [args] { return RunStatus(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
