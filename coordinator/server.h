// CoordinatorServer: a whole coordinator in one object: the result store, the artifact
// store, the Coordinator, its HTTP API and the ticker that expires leases. Used by
// `chromatune coordinator` and, in process, by `chromatune run`.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/file_lock.h"
#include "common/status.h"
#include "coordinator/api.h"
#include "coordinator/artifact_sink.h"
#include "coordinator/coordinator.h"
#include "coordinator/http_server.h"
#include "storage/result_store.h"

namespace chromatune::coordinator {

struct ServerConfig {
  std::string db_path;             // SQLite result store (created if missing)
  std::string host = "127.0.0.1";  // listen address
  int port = 0;                    // 0: a free port
  std::string token_file;          // "USER TOKEN" lines; required unless insecure_loopback
  bool insecure_loopback = false;  // no auth; only with a loopback listen address
  // Token lines ("USER TOKEN ROLE") accepted besides the token file's, kept across SIGHUP:
  // the worker token `chromatune run --hostfile` makes for the groups it starts.
  std::string extra_tokens;
  // A non-loopback listen address without TLS (http.tls_cert_file) is refused unless this is
  // set: tokens and results would cross the network in clear text.
  bool insecure_plaintext = false;
  // The HDF5 artifact file (a group per sweep); empty: ArtifactStore::DefaultPathFor(db_path),
  // e.g. runs/demo.sqlite -> runs/demo.h5.
  std::string artifact_file;
  CoordinatorOptions coordinator;
  HttpServerOptions http;
  // Optional: builds extra routes (the dashboard) once the store exists; called with the
  // database path and the artifact file. An error fails Start.
  std::function<Result<ExtraRoutes>(const std::string& db_path, const std::string& artifact_file)>
      extra_routes;
};

class CoordinatorServer {
 public:
  // Locks the store (StoreLockPath: one coordinator per store), opens the stores, recovers
  // state (Coordinator::Recover), listens and starts serving.
  // Errors name the offending option or file: no token file without --insecure-loopback,
  // --insecure-loopback on a non-loopback address, an unreadable token file, a store that
  // another coordinator serves (kFailedPrecondition naming its host, pid and the lock file),
  // a store that does not open, an address in use.
  static Result<std::unique_ptr<CoordinatorServer>> Start(const ServerConfig& config);
  ~CoordinatorServer();  // Stop()

  int port() const { return port_; }
  Coordinator& coordinator() { return *coordinator_; }
  HttpServer& http() { return *http_; }
  // Re-reads the token file (SIGHUP) and swaps the table in at once; on any error (the file
  // is unreadable or invalid) the old table stays in force and the error says why.
  // kFailedPrecondition in --insecure-loopback mode. Returns the number of tokens loaded.
  Result<size_t> ReloadTokens();
  // Answers waiting long polls, stops serving and closes the stores. Idempotent.
  void Stop();

 private:
  CoordinatorServer() = default;
  void RunTicker();

  std::string token_file_;
  std::string extra_tokens_;
  std::unique_ptr<FileLock> store_lock_;  // held from before the store opens until it closes
  std::unique_ptr<ResultStore> store_;
  std::unique_ptr<ArtifactSink> artifacts_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  std::thread ticker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// The lock file of the store at `db_path` ("<db>.lock"): a coordinator (`chromatune
// coordinator`, `chromatune run`) holds an exclusive flock on it while it serves the store,
// with "HOST PID" as its content, so a second one exits at once naming the first.
std::string StoreLockPath(const std::string& db_path);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

// "HOST:PORT" for --listen, port 0 allowed (a free port); kInvalidArgument naming the text.
Status ParseListenAddress(const std::string& text, std::string* host, int* port);

}  // namespace chromatune::coordinator
