// ConnectionLimits: how many connections the HTTP server keeps open, in total and per peer
// address (issue 19, "resource limits"). A lab's thousand worker groups may share a few hosts,
// so the per-peer cap is off unless configured; the total cap keeps the coordinator below its
// file-descriptor limit, so that accept() never fails for everyone at once.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace chromatune::coordinator {

class ConnectionLimits {
 public:
  // 0: no cap.
  ConnectionLimits(size_t max_total, size_t max_per_peer)
      : max_total_(max_total), max_per_peer_(max_per_peer) {}
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  // A place for a new connection from `peer` (its IP address as text): held as long as the
  // returned ticket lives (the connection's lifetime). Null when a cap is reached; `why` then
  // says which, e.g. "4096 connections are open (--max-connections 4096)".
  std::shared_ptr<void> Admit(const std::string& peer, std::string* why);

  size_t open() const;
  size_t open_from(const std::string& peer) const;

 private:
  void Release(const std::string& peer);

  const size_t max_total_;
  const size_t max_per_peer_;
  mutable std::mutex mu_;
  size_t open_ = 0;
  std::map<std::string, size_t> per_peer_;
};

}  // namespace chromatune::coordinator
