// `chromatune dashboard --db FILE [--listen HOST:PORT] [--token-file F] [--artifacts FILE]
//  [--tls-cert F --tls-key F | --insecure-plaintext]`: serves the read-only web dashboard
// (dashboards/dashboard.h) until SIGTERM or SIGINT. Binds to loopback by default, in local
// mode (coordinator/web_gate.h: loopback Host and Origin only). With a token file every API
// request needs a token or a login session (the page itself holds no data, and shows the
// login form); off loopback a token file is required, and TLS unless --insecure-plaintext.
#include <signal.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "coordinator/auth.h"
#include "coordinator/http_server.h"
#include "coordinator/server.h"
#include "coordinator/web_gate.h"
#include "dashboards/dashboard.h"

namespace chromatune::cli {
namespace {

struct DashboardArgs {
  std::string db;
  std::string listen = "127.0.0.1:7322";
  std::string token_file;
  std::string artifacts;
  std::string tls_cert;
  std::string tls_key;
  bool insecure_plaintext = false;
};

int RunDashboard(const DashboardArgs& args) {
  std::string host;
  int port = 0;
  Status parsed = coordinator::ParseListenAddress(args.listen, &host, &port);
  if (!parsed.ok()) {
    std::cerr << "chromatune dashboard: --listen: " << parsed.message() << "\n";
    return kExitBadInput;
  }
  std::optional<coordinator::TokenTable> tokens;
  if (!args.token_file.empty()) {
    auto loaded = coordinator::TokenTable::Load(args.token_file);
    if (!loaded.ok()) {
      std::cerr << "chromatune dashboard: " << loaded.status().message() << "\n";
      return kExitBadInput;
    }
    tokens = std::move(loaded).value();
  } else if (!coordinator::IsLoopbackHost(host)) {
    std::cerr << "chromatune dashboard: listening on " << host
              << " (not loopback) requires --token-file\n";
    return kExitBadInput;
  }
  if (!coordinator::IsLoopbackHost(host) && args.tls_cert.empty() && !args.insecure_plaintext) {
    std::cerr << "chromatune dashboard: listening on " << host
              << " (not loopback) without TLS would send tokens and results in clear text: "
                 "give --tls-cert F --tls-key F, or --insecure-plaintext\n";
    return kExitBadInput;
  }
  auto dashboard = dashboards::Dashboard::Open({args.db, args.artifacts});
  if (!dashboard.ok()) {
    std::cerr << "chromatune dashboard: " << dashboard.status().message() << "\n";
    return dashboard.status().code() == StatusCode::kNotFound ||
                   dashboard.status().code() == StatusCode::kCorruption
               ? kExitBadInput
               : kExitFailure;
  }
  std::shared_ptr<dashboards::Dashboard> shared = std::move(dashboard).value();

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto gate = std::make_shared<coordinator::WebGate>(std::move(tokens));
  coordinator::HttpServerOptions options;
  options.tls_cert_file = args.tls_cert;
  options.tls_key_file = args.tls_key;
  options.authorized = [gate](const coordinator::HttpRequest& head) {
    return gate->Authorized(head);
  };
  coordinator::HttpServer server(
      options, [shared, gate](coordinator::HttpRequest request, coordinator::Responder respond) {
        if (auto session = gate->HandleSession(request)) {
          respond(std::move(*session));
          return;
        }
        if (request.path.rfind("/api/", 0) == 0) {
          auto who = gate->Authenticate(request);
          if (!who.ok()) {
            respond(gate->Refusal(who.status()));
            return;
          }
          Status allowed = coordinator::Authorize(*who, coordinator::Action::kRead,
                                                  request.method + " " + request.path);
          if (!allowed.ok()) {
            respond(coordinator::HttpResponse::Error(403, allowed.message()));
            return;
          }
        } else if (Status local = gate->CheckLocal(request); !local.ok()) {
          respond(gate->Refusal(local));
          return;
        }
        respond(shared->Handle(request));
      });
  auto bound = server.Listen(host, port);
  if (!bound.ok()) {
    std::cerr << "chromatune dashboard: " << bound.status().message() << "\n";
    return kExitFailure;
  }
  server.Start();
  std::cout << "dashboard at " << (server.tls() ? "https://" : "http://") << host << ":" << *bound
            << "/" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  server.Stop();
  return kExitOk;
}

const CommandRegistrar kRegisterDashboard("dashboard", [](CLI::App& root) {
  auto args = std::make_shared<DashboardArgs>();
  CLI::App* app = root.add_subcommand("dashboard", "Serve the read-only web dashboard");
  app->add_option("--db", args->db, "SQLite result store")->required();
  app->add_option("--listen", args->listen, "HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  app->add_option("--token-file", args->token_file,
                  "bearer tokens (\"USER TOKEN\" lines); required off loopback");
  auto* cert = app->add_option("--tls-cert", args->tls_cert, "PEM certificate to speak HTTPS with")
                   ->check(CLI::ExistingFile);
  auto* key = app->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app->add_flag("--insecure-plaintext", args->insecure_plaintext,
                "allow a non-loopback --listen without TLS")
      ->excludes(cert);
  app->add_option("--artifacts", args->artifacts,
                  "HDF5 artifact file (default: DB with its extension replaced by .h5)");
  return CommandSetup{app, [args] { return RunDashboard(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
