// Leader: what rank 0 of a worker group does with the coordinator: register, lease
// rounds, heartbeat the running trials from a background thread, deliver outcomes.
// Survives coordinator outages: every call retries with backoff (worker/backoff.h) while
// the coordinator is unreachable, re-registers when the coordinator forgot the group, and
// delivers a result as long as the coordinator has not refused it (fencing decides).
//
// Thread safety: the Leader's methods are called from rank 0's main thread; its heartbeat
// thread uses its own connection. Progress and cancel flags are shared under a mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/protocol/coordinator_client.h"
#include "worker/backoff.h"
#include "worker/round.h"
#include "worker/worker_options.h"

namespace chromatune::worker {

class Leader {
 public:
  // `devices`: each rank's device in rank order, as registered (empty: group_size copies of
  // options.device, a group whose ranks all compute alike).
  Leader(WorkerOptions options, int group_size, nlohmann::json devices = nullptr);
  ~Leader();  // stops heartbeats

  // Registers the group (retrying until it succeeds or a drain is requested) and reports
  // crash notes left by dead workers of this host. False when drained first.
  bool Connect();
  // The next round's trials (ranks assigned); empty when a drain was requested. Blocks
  // (long polls, reconnects) until there is work. Takes the trials leased ahead when there
  // are some (waiting for a lease-ahead request still in flight).
  std::vector<RoundTrial> NextTrials();
  // Called when a round starts: when the previous round was shorter than
  // options.lease_ahead_below, asks the delivery thread to lease the next round after the
  // outcomes queued so far (no long poll; nothing runnable leaves NextTrials to ask).
  void LeaseAhead();

  // Heartbeats `trials` until StopHeartbeats (first after options.first_heartbeat).
  void StartHeartbeats(const std::vector<RoundTrial>& trials);
  void StopHeartbeats();
  void SetProgress(int64_t trial_id, double fraction, const std::string& note);
  // Queues a rung result {"rung", "epoch", "metrics"} of the trial for the coordinator's
  // search: sent at once (not at the next heartbeat interval), one heartbeat per result, in
  // order, until each was answered.
  void ReportRung(int64_t trial_id, nlohmann::json rung);
  // True once the coordinator said the trial's sweep was cancelled.
  bool CancelRequested(int64_t trial_id);
  // True once the coordinator said the search stopped the trial's configuration.
  bool StopRequested(int64_t trial_id);

  // Queues the outcome for delivery and returns at once: a delivery thread (its own
  // connection) completes, fails or releases the trial, retrying while the coordinator is
  // unreachable (up to options.delivery_patience), while the group already runs its next
  // round, so the store's commit latency is off the trials' critical path. A refusal
  // (stale attempt) is logged and dropped: the trial belongs to another attempt now.
  void Deliver(const RoundTrial& trial, const TrialOutcomeMessage& outcome);
  // Waits until every queued outcome was delivered (or given up on).
  void Flush();
  // Flush, waiting at most `patience`; false when outcomes were still undelivered.
  bool FlushFor(std::chrono::milliseconds patience);
  // Hands over the trials leased ahead and not yet taken by NextTrials (the caller releases
  // them: the group is ending); waits at most a request timeout for a lease-ahead in flight.
  std::vector<RoundTrial> TakeLeasedAhead();
  // Gives leased trials back (drain before running them).
  void ReleaseAll(const std::vector<RoundTrial>& trials, const std::string& reason);

  int64_t group_id() const { return group_id_; }
  // Set when the coordinator told this group to stop (it was quarantined: its leases kept
  // expiring): NextTrials then returns no trials and the group exits with this error.
  Status stopped() const;

 private:
  struct Beat {
    int64_t trial_id = 0;
    int attempt = 0;
    std::string lease_id;
    double progress = -1.0;
    std::string note;
    bool cancel = false;
    bool stop = false;
    std::deque<nlohmann::json> rungs;  // rung results not yet answered
    // False for a trial leased ahead, until its round starts: its heartbeats renew the lease
    // without marking it running, so a group that dies first is not charged for it.
    bool started = true;
  };
  bool Register();
  // Records a stop order (kCancelled from the coordinator) and logs it; true when `s` is one.
  bool StopIfTold(const Status& s);
  bool Stopping() const;
  void ReportCrashNotes();
  void HeartbeatLoop();
  void DeliveryLoop();
  // Delivers one outcome. With `lease_ahead`, a completion also leases the next round in
  // the same exchange; true when it did (the lease-ahead request is then answered).
  bool DeliverNow(protocol::CoordinatorClient& client, const RoundTrial& trial,
                  const TrialOutcomeMessage& outcome, bool lease_ahead);
  // On the delivery thread: one lease request for the next round, without waiting.
  void LeaseAheadNow(protocol::CoordinatorClient& client);
  // Keeps trials leased ahead for NextTrials (releasing them if they do not fit the group).
  void TakeAhead(protocol::CoordinatorClient& client, std::vector<protocol::LeasedTrial> leased);
  // Runs `call` until it returns a status that is not kUnavailable/kDeadlineExceeded or
  // `patience` ran out; sleeps with backoff in between.
  template <typename Call>
  Status Retry(const char* what, std::chrono::milliseconds patience, Call call);

  WorkerOptions options_;
  int group_size_;
  nlohmann::json devices_;  // one entry per rank, registered with the group
  protocol::CoordinatorClient client_;
  int64_t group_id_ = 0;
  int64_t heartbeat_interval_ms_ = 10000;

  mutable std::mutex stop_mu_;
  Status stop_;  // the coordinator's stop order, once given

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Beat> beats_;
  bool beating_ = false;
  bool urgent_ = false;  // a rung result waits: heartbeat now
  std::thread heartbeat_thread_;

  std::mutex delivery_mu_;
  std::condition_variable delivery_cv_;
  std::deque<std::pair<RoundTrial, TrialOutcomeMessage>> deliveries_;
  bool delivering_ = false;  // the delivery thread works on an item outside the queue
  bool stop_delivery_ = false;
  std::thread delivery_thread_;
  // Lease ahead (under delivery_mu_): requested and not yet answered; its answer.
  bool ahead_pending_ = false;
  std::vector<RoundTrial> ahead_;
  // When NextTrials last returned a round, and how long the round before took (main thread).
  std::chrono::steady_clock::time_point round_start_{};
  std::chrono::milliseconds last_round_{std::chrono::milliseconds::max()};
};

}  // namespace chromatune::worker
