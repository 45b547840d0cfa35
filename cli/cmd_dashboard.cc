// `chromatune dashboard --db FILE [--listen HOST:PORT] [--token-file F] [--artifacts FILE]`:
// serves the read-only web dashboard (dashboards/dashboard.h) until SIGTERM or SIGINT.
// Binds to loopback by default; off loopback a token file is required and every API
// request must carry "Authorization: Bearer TOKEN" (the page itself is public: it holds no
// data).
#include <signal.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "coordinator/auth.h"
#include "coordinator/http_server.h"
#include "coordinator/server.h"
#include "dashboards/dashboard.h"

namespace chromatune::cli {
namespace {

struct DashboardArgs {
  std::string db;
  std::string listen = "127.0.0.1:7322";
  std::string token_file;
  std::string artifacts;
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

  coordinator::HttpServer server(
      coordinator::HttpServerOptions{},
      [shared, tokens](coordinator::HttpRequest request, coordinator::Responder respond) {
        const bool api = request.path.rfind("/api/", 0) == 0;
        if (api && tokens) {
          auto user = tokens->Authenticate(request.authorization);
          if (!user.ok()) {
            auto r = coordinator::HttpResponse::Error(401, user.status().message());
            r.headers["WWW-Authenticate"] = "Bearer";
            respond(std::move(r));
            return;
          }
        }
        respond(shared->Handle(request));
      });
  auto bound = server.Listen(host, port);
  if (!bound.ok()) {
    std::cerr << "chromatune dashboard: " << bound.status().message() << "\n";
    return kExitFailure;
  }
  server.Start();
  std::cout << "dashboard at http://" << host << ":" << *bound << "/" << std::endl;
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
  app->add_option("--artifacts", args->artifacts,
                  "HDF5 artifact file (default: DB with its extension replaced by .h5)");
  return CommandSetup{app, [args] { return RunDashboard(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
