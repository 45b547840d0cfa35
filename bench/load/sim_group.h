// SimGroup: one simulated worker group of the load generator, speaking the worker protocol
// (docs/protocol.md) over one kept-alive HTTP/1.1 connection, as chromatune's worker does
// (docs/runtime.md): register, lease, a heartbeat a second after a trial starts and every
// `heartbeat` after that (none for trials under a second), complete with the next lease in
// the same exchange, one trial leased ahead while one runs ("Lease ahead"; its own lease
// request only when no completion in flight carries one). Trials are simulated: a timer of
// `trial` per trial.
//
// Thread safety: all groups run on one io_context thread; LoadStats is shared unguarded.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "bench/load/latency_log.h"

namespace chromatune::bench {

struct LoadStats {
  bool measuring = false;  // counted only inside the measurement window
  LatencyLog lease, heartbeat, complete;
  int64_t registered = 0;
  int64_t completed = 0;  // completions stored by the coordinator
  int64_t stale = 0;      // 409 on a heartbeat or completion: the lease had expired
  int64_t errors = 0;     // transport errors and other non-2xx replies (whole run)
  std::string last_error;
};

struct GroupOptions {
  boost::asio::ip::tcp::endpoint coordinator;
  std::chrono::milliseconds trial{500};
  std::chrono::milliseconds heartbeat{10000};
  int64_t long_poll_ms = 1000;  // an idle group's lease request waits this long
  nlohmann::json result;        // the completion's "result" (protocol::EncodeResult)
};

class SimGroup : public std::enable_shared_from_this<SimGroup> {
 public:
  SimGroup(boost::asio::io_context& ioc, int index, const GroupOptions& options, LoadStats* stats);
  // Connects and registers, then works until the io_context stops.
  void Start();

 private:
  enum class Kind { kRegister, kLease, kHeartbeat, kComplete };
  struct Trial {
    int64_t id = 0;
    int attempt = 0;
    std::string lease_id;
  };
  struct Message {
    Kind kind;
    std::string target;
    nlohmann::json body;
    std::function<void(const nlohmann::json&)> done;  // on a 2xx reply
  };

  void Connect();
  void Enqueue(Message m);
  void SendNext();
  void OnReply(boost::beast::error_code ec, std::chrono::steady_clock::time_point sent);
  void Failed(const std::string& what);
  void RequestLease(int64_t wait_ms);
  void AddTrials(const nlohmann::json& reply);
  void MaybeStart();
  void Finish();
  void Heartbeat(const Trial& t);
  void ArmHeartbeat(std::chrono::milliseconds after);
  nlohmann::json Claim(const Trial& t) const;

  boost::asio::io_context& ioc_;
  const int index_;
  const GroupOptions& options_;
  LoadStats* stats_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  boost::asio::steady_timer trial_timer_, heartbeat_timer_, retry_timer_;
  std::deque<Message> outbox_;
  bool in_flight_ = false;
  bool connected_ = false;
  int64_t group_id_ = 0;
  bool leasing_ = false;
  int completing_ = 0;  // completions in flight (each carries the next lease)
  std::deque<Trial> ready_;
  std::optional<Trial> running_;
};

}  // namespace chromatune::bench
