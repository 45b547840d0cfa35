#include "coordinator/server.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <boost/asio/ip/address.hpp>

#include "common/log.h"
#include "coordinator/hdf5_artifact_sink.h"
#include "storage/artifact_store.h"

namespace chromatune::coordinator {
namespace {

// How often the ticker expires leases and retries long polls. Long polls wait at most this
// long after a retry's backoff ended; expiry is checked a tenth of a lease timeout apart.
constexpr std::chrono::milliseconds kTickInterval{50};

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "unknown-host";
  return name;
}

// One coordinator per store: two would each believe they own the leases, expire each other's
// workers and interleave HDF5 sessions. The error names the first one (host, pid).
Result<std::unique_ptr<FileLock>> LockStore(const std::string& db_path) {
  const std::string path = StoreLockPath(db_path);
  auto lock = FileLock::TryAcquire(path, HostName() + " " + std::to_string(getpid()));
  if (lock.ok()) return std::make_unique<FileLock>(std::move(lock).value());
  if (lock.status().code() != StatusCode::kFailedPrecondition) return lock.status();
  const std::string holder = FileLock::HolderOf(path);
  const size_t space = holder.rfind(' ');
  const std::string who = space == std::string::npos
                              ? "another process (holder unknown)"
                              : "the coordinator on host " + holder.substr(0, space) + ", pid " +
                                    holder.substr(space + 1);
  return FailedPrecondition("store " + db_path + " is in use by " + who + " (lock file " + path +
                            "); stop it first, or give another --db");
}

// The token file's table, with `extra` lines added (ServerConfig::extra_tokens).
Result<TokenTable> LoadTokens(const std::string& path, const std::string& extra) {
  if (extra.empty()) return TokenTable::Load(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("token file " + path + ": cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  return TokenTable::Parse(text.str() + "\n" + extra, path);
}

}  // namespace

std::string StoreLockPath(const std::string& db_path) { return db_path + ".lock"; }

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

Status ParseListenAddress(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  const std::string port_text = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (colon == std::string::npos || colon == 0 || port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return InvalidArgument("--listen \"" + text + "\": expected HOST:PORT with PORT in 0..65535");
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (*host == "localhost") *host = "127.0.0.1";
  *port = std::stoi(port_text);
  return Status::Ok();
}

Result<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(const ServerConfig& config) {
  std::optional<TokenTable> tokens;
  if (config.insecure_loopback) {
    if (!IsLoopbackHost(config.host)) {
      return InvalidArgument("--insecure-loopback: listen address " + config.host +
                             " is not a loopback address (use 127.0.0.1 or ::1)");
    }
    if (!config.token_file.empty()) {
      return InvalidArgument("--insecure-loopback and --token-file exclude each other");
    }
  } else {
    if (config.token_file.empty()) {
      return InvalidArgument(
          "--token-file is required (or --insecure-loopback on a loopback address)");
    }
    CT_ASSIGN_OR_RETURN(TokenTable table, LoadTokens(config.token_file, config.extra_tokens));
    tokens = std::move(table);
  }
  if (!IsLoopbackHost(config.host) && config.http.tls_cert_file.empty() &&
      !config.insecure_plaintext) {
    return InvalidArgument(
        "--listen " + config.host +
        " is not a loopback address and the coordinator has no TLS certificate: tokens and "
        "results would cross the network in clear text. Give --tls-cert FILE --tls-key FILE "
        "(docs/cluster.md shows how to make them), or --insecure-plaintext on a network you "
        "trust");
  }
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer());
  server->token_file_ = config.token_file;
  server->extra_tokens_ = config.extra_tokens;
  CT_ASSIGN_OR_RETURN(server->store_lock_, LockStore(config.db_path));
  CT_ASSIGN_OR_RETURN(server->store_, ResultStore::Open(config.db_path, StoreMode::kReadWrite));
  const std::string artifact_file = config.artifact_file.empty()
                                        ? ArtifactStore::DefaultPathFor(config.db_path)
                                        : config.artifact_file;
  CT_ASSIGN_OR_RETURN(server->artifacts_, OpenHdf5ArtifactSink(artifact_file));
  server->coordinator_ = std::make_unique<Coordinator>(
      server->store_.get(), server->artifacts_.get(), config.coordinator);
  CT_RETURN_IF_ERROR(server->coordinator_->Recover());
  server->api_ = std::make_unique<Api>(server->coordinator_.get(), std::move(tokens));
  if (config.extra_routes) {
    CT_ASSIGN_OR_RETURN(ExtraRoutes routes, config.extra_routes(config.db_path, artifact_file));
    server->api_->SetExtraRoutes(std::move(routes));
  }
  Api* api = server->api_.get();
  HttpServerOptions http = config.http;
  // Requests without valid credentials get a small body limit, judged on their headers.
  http.authorized = [api](const HttpRequest& head) { return api->Authorized(head); };
  server->http_ = std::make_unique<HttpServer>(
      http, [api](HttpRequest r, Responder respond) { api->Handle(std::move(r), respond); });
  CT_ASSIGN_OR_RETURN(server->port_, server->http_->Listen(config.host, config.port));
  server->http_->Start();
  server->ticker_ = std::thread([s = server.get()] { s->RunTicker(); });
  spdlog::info("coordinator: listening on {}{}:{} (db {}, lease timeout {} ms{})",
               server->http_->tls() ? "https://" : "", config.host, server->port_, config.db_path,
               config.coordinator.lease_timeout.count(),
               config.insecure_loopback ? ", insecure loopback" : "");
  return server;
}

CoordinatorServer::~CoordinatorServer() { Stop(); }

Result<size_t> CoordinatorServer::ReloadTokens() {
  if (token_file_.empty()) {
    return FailedPrecondition("no --token-file to re-read (--insecure-loopback)");
  }
  CT_ASSIGN_OR_RETURN(TokenTable table, LoadTokens(token_file_, extra_tokens_));
  const size_t n = table.size();
  CT_RETURN_IF_ERROR(api_->ReplaceTokens(std::move(table)));
  return n;
}

void CoordinatorServer::RunTicker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    coordinator_->Tick();
    lock.lock();
    cv_.wait_for(lock, kTickInterval, [this] { return stopping_; });
  }
}

void CoordinatorServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (coordinator_) coordinator_->DropWaiters();
  if (http_) http_->Stop();
  http_.reset();
  api_.reset();
  coordinator_.reset();
  artifacts_.reset();
  store_.reset();
  store_lock_.reset();
}

}  // namespace chromatune::coordinator
