// Knobs of a worker group, each with its default and why.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/protocol/http_client.h"

namespace chromatune::worker {

struct WorkerOptions {
  protocol::Endpoint coordinator;
  std::string token;  // bearer token; empty against an --insecure-loopback coordinator
  // Longest wait of one lease request. Short enough that SIGTERM on an idle group is
  // noticed quickly (the drain checks between requests), long enough to be cheap.
  std::chrono::milliseconds long_poll{2000};
  // Reconnect backoff while the coordinator is unreachable: doubles up to max.
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{5000};
  // Deadline of one request (lease requests add their long poll).
  std::chrono::milliseconds request_timeout{10000};
  // The first heartbeat of a trial is sent this long after it starts (then every
  // heartbeat interval): trials shorter than this cost no heartbeat at all.
  std::chrono::milliseconds first_heartbeat{1000};
  // A finished trial's result is offered to the coordinator for at most this long while
  // it is unreachable (then the lease has long expired and the result is dropped).
  std::chrono::milliseconds delivery_patience{std::chrono::minutes(10)};
  // Lease ahead: while a round runs, the delivery thread leases the next one (no long poll),
  // so a group of short trials goes from one trial to the next without waiting for an HTTP
  // exchange and a store commit. Only when the previous round took less than this (0: never):
  // a trial leased ahead waits for the current round, which must be short for that to be
  // fair to the other groups (docs/runtime.md).
  std::chrono::milliseconds lease_ahead_below{5000};
  // Where crash notes of this host go (crash_notes.h); empty disables them.
  std::string crash_dir;
  std::string host;   // host name reported at registration
  std::string label;  // a name its launcher gave the group (`chromatune run`), may be empty
  // Where this rank's trials compute, as the group registers it (one entry of "devices",
  // coordinator/protocol/group_devices.h); every rank sets its own and rank 0 gathers them.
  nlohmann::json device = {{"kind", "cpu"}};
};

}  // namespace chromatune::worker
