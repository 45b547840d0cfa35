// `chromatune coordinator --db FILE --listen HOST:PORT [--token-file F]
//  [--insecure-loopback] [--tls-cert F --tls-key F | --insecure-plaintext] [--lease-timeout S]
//  [--address-file F] [--max-user-priority N] [--max-connections N]
//  [--max-connections-per-peer N] [--data-root DIR]...`:
// serves the coordinator API until SIGTERM or SIGINT; SIGUSR1 closes every open connection
// (docs/runtime.md, docs/protocol.md); SIGHUP re-reads the token file (a bad file keeps the
// tokens in force and logs why). --address-file announces "HOST:PORT" to workers started elsewhere
// (docs/cluster.md); the file is removed when the coordinator stops.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "common/log.h"
#include "coordinator/address_file.h"
#include "coordinator/server.h"
#include "dashboards/dashboard.h"

namespace chromatune::cli {
namespace {

struct CoordinatorArgs {
  std::string db;
  std::string listen = "127.0.0.1:7321";
  std::string token_file;
  std::string artifacts;
  std::string address_file;
  bool insecure_loopback = false;
  std::string tls_cert;
  std::string tls_key;
  bool insecure_plaintext = false;
  size_t max_connections = coordinator::HttpServerOptions{}.max_connections;
  size_t max_connections_per_peer = 0;
  std::vector<std::string> data_roots;
  double lease_timeout_s = 30;
  double request_timeout_s = 15;
  double retry_backoff_s = 1;
  int64_t body_limit_mb = 64;
  int max_user_priority = 100;
  int64_t plan_rows_per_step = coordinator::CoordinatorOptions{}.plan_rows_per_step;
};

std::chrono::milliseconds Ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// Raises the soft limit of open files to the hard limit: every worker group holds a
// connection, and the default soft limit (1024) is below a lab's thousand groups. Warns when
// --max-connections would still run into it (accept then fails with EMFILE and backs off).
void RaiseFileLimit(size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  // Room for the stores, logs and the threads' own descriptors.
  constexpr rlim_t kReserve = 64;
  if (max_connections == 0 || limit.rlim_cur < max_connections + kReserve) {
    spdlog::warn(
        "coordinator: open-file limit {} is below --max-connections {} + {}: connections past "
        "it fail to be accepted (the server backs off) instead of being refused with a log "
        "line; raise `ulimit -n` or lower --max-connections",
        static_cast<unsigned long long>(limit.rlim_cur), max_connections,
        static_cast<unsigned long long>(kReserve));
  }
}

int RunCoordinator(const CoordinatorArgs& args) {
  coordinator::ServerConfig config;
  config.db_path = args.db;
  Status parsed = coordinator::ParseListenAddress(args.listen, &config.host, &config.port);
  if (!parsed.ok()) {
    std::cerr << "chromatune coordinator: " << parsed.message() << "\n";
    return kExitBadInput;
  }
  config.token_file = args.token_file;
  config.insecure_loopback = args.insecure_loopback;
  config.artifact_file = args.artifacts;
  config.coordinator.lease_timeout = Ms(args.lease_timeout_s);
  config.coordinator.retry_backoff_base = Ms(args.retry_backoff_s);
  config.coordinator.max_user_priority = args.max_user_priority;
  config.coordinator.plan_rows_per_step = args.plan_rows_per_step;
  config.http.request_timeout = Ms(args.request_timeout_s);
  config.http.body_limit = static_cast<size_t>(args.body_limit_mb) * 1024 * 1024;
  config.http.tls_cert_file = args.tls_cert;
  config.http.tls_key_file = args.tls_key;
  config.http.max_connections = args.max_connections;
  config.http.max_connections_per_peer = args.max_connections_per_peer;
  config.insecure_plaintext = args.insecure_plaintext;
  config.coordinator.data_roots = args.data_roots;
  RaiseFileLimit(args.max_connections);
  // The coordinator also serves the read-only dashboard (its own read-only connection).
  config.extra_routes = &dashboards::MakeDashboardRoutes;

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto server = coordinator::CoordinatorServer::Start(config);
  if (!server.ok()) {
    std::cerr << "chromatune coordinator: " << server.status().ToString() << "\n";
    const auto code = server.status().code();
    return code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound ? kExitBadInput
                                                                                 : kExitFailure;
  }
  // Machine-readable first line (tests and scripts read the port from it); with TLS the
  // address is "https://HOST:PORT", as clients are given it.
  const std::string scheme = (*server)->http().tls() ? "https://" : "";
  std::cout << "coordinator listening on " << scheme << config.host << ":" << (*server)->port()
            << std::endl;
  if (!args.address_file.empty()) {
    Status written = coordinator::WriteAddressFile(
        args.address_file, scheme + coordinator::AdvertisedAddress(config.host, (*server)->port()));
    if (!written.ok()) {
      std::cerr << "chromatune coordinator: " << written.message() << "\n";
      (*server)->Stop();
      return kExitFailure;
    }
  }
  int sig = 0;
  // SIGUSR1 closes every connection (workers reconnect): an operator's tool, and the
  // "connections cut" fault of tests/integration.
  // SIGHUP re-reads the token file: revocation (or a new token) without a restart.
  while (sigwait(&stop, &sig) == 0 && (sig == SIGUSR1 || sig == SIGHUP)) {
    if (sig == SIGHUP) {
      auto loaded = (*server)->ReloadTokens();
      if (loaded.ok()) {
        spdlog::warn("coordinator: SIGHUP: token file {} re-read: {} tokens in force",
                     args.token_file, *loaded);
      } else {
        spdlog::error("coordinator: SIGHUP: the tokens in force are kept: {}",
                      loaded.status().ToString());
      }
      continue;
    }
    spdlog::warn("coordinator: SIGUSR1: closing {} connections",
                 (*server)->http().connection_count());
    (*server)->http().CloseAllConnections();
  }
  spdlog::info("coordinator: {} received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Stop();
  if (!args.address_file.empty()) std::remove(args.address_file.c_str());
  return kExitOk;
}

const CommandRegistrar kRegisterCoordinator("coordinator", [](CLI::App& root) {
  auto args = std::make_shared<CoordinatorArgs>();
  CLI::App* app = root.add_subcommand(
      "coordinator", "Serve the coordinator API (sweeps, leases, results) over HTTP");
  app->add_option("--db", args->db, "SQLite result store (created if missing)")->required();
  app->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app->add_option("--token-file", args->token_file,
                  "bearer tokens, one \"USER TOKEN [ROLE]\" per line, ROLE admin, user "
                  "(default), viewer or worker (required unless --insecure-loopback; "
                  "re-read on SIGHUP)");
  app->add_flag("--insecure-loopback", args->insecure_loopback,
                "no authentication; only allowed on a loopback address");
  auto* cert = app->add_option("--tls-cert", args->tls_cert,
                               "PEM certificate (chain) to speak HTTPS with (docs/cluster.md)")
                   ->check(CLI::ExistingFile);
  auto* key = app->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app->add_flag("--insecure-plaintext", args->insecure_plaintext,
                "allow a non-loopback --listen without TLS (tokens and results then cross the "
                "network in clear text)")
      ->excludes(cert);
  app->add_option("--max-connections", args->max_connections,
                  "open connections at most; more are closed at once with a log line (0: no "
                  "cap)")
      ->capture_default_str();
  app->add_option("--max-connections-per-peer", args->max_connections_per_peer,
                  "open connections from one address at most (0: no cap; worker groups on one "
                  "host share it)")
      ->capture_default_str();
  app->add_option("--data-root", args->data_roots,
                  "dataset and backbone paths of sweep files must resolve (symlinks followed) "
                  "to files under this directory; repeatable (default: any regular file)")
      ->check(CLI::ExistingDirectory);
  app->add_option("--lease-timeout", args->lease_timeout_s,
                  "seconds without heartbeat after which a lease expires")
      ->check(CLI::Range(0.2, 3600.0))
      ->capture_default_str();
  app->add_option("--request-timeout", args->request_timeout_s,
                  "seconds a client has to send a whole request (slow clients are dropped)")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app->add_option("--retry-backoff", args->retry_backoff_s,
                  "seconds before the first retry of a failed trial (doubles per failure)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app->add_option("--max-user-priority", args->max_user_priority,
                  "largest |priority| a non-admin user may give a sweep (admins: any)")
      ->check(CLI::Range(0, 1000000000))
      ->capture_default_str();
  app->add_option("--plan-rows-per-step", args->plan_rows_per_step,
                  "trials a submission stores per write of the store (each write holds the "
                  "single writer; workers' requests are answered between them)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  app->add_option("--body-limit-mb", args->body_limit_mb, "largest request body in MiB")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app->add_option("--artifacts", args->artifacts,
                  "HDF5 artifact file, a group per sweep (default: DB with its extension "
                  "replaced by .h5)");
  app->add_option("--address-file", args->address_file,
                  "write HOST:PORT here once listening (a wildcard listen address is "
                  "announced as this machine's hostname); removed on exit");
  return CommandSetup{app, [args] { return RunCoordinator(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
