#include "worker/leader.h"

#include <set>
#include <utility>

#include "common/log.h"
#include "common/version.h"
#include "coordinator/protocol/wire.h"
#include "worker/crash_notes.h"
#include "worker/signals.h"

namespace chromatune::worker {
namespace {

bool Transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

// The leased trials as a round with ranks assigned; `fit` says whether they fit the group
// (if not, the caller releases them).
std::vector<RoundTrial> ToRound(std::vector<protocol::LeasedTrial> leased, int group_size,
                                Status* fit) {
  std::vector<RoundTrial> trials;
  for (auto& l : leased) {
    trials.push_back(
        RoundTrial{l.trial_id, l.attempt, 0, l.ranks, std::move(l.item), std::move(l.lease_id)});
  }
  *fit = AssignRanks(&trials, group_size);
  return trials;
}

}  // namespace

Leader::Leader(WorkerOptions options, int group_size, nlohmann::json devices)
    : options_(std::move(options)),
      group_size_(group_size),
      devices_(std::move(devices)),
      client_(options_.coordinator, options_.token) {
  client_.set_request_timeout(options_.request_timeout);
  if (!devices_.is_array() || devices_.empty()) {
    devices_ = nlohmann::json::array();
    for (int r = 0; r < group_size_; ++r) devices_.push_back(options_.device);
  }
}

Leader::~Leader() {
  StopHeartbeats();
  Flush();
  {
    std::lock_guard<std::mutex> lock(delivery_mu_);
    stop_delivery_ = true;
  }
  delivery_cv_.notify_all();
  if (delivery_thread_.joinable()) delivery_thread_.join();
}

Status Leader::stopped() const {
  std::lock_guard<std::mutex> lock(stop_mu_);
  return stop_;
}

bool Leader::Stopping() const { return !stopped().ok(); }

bool Leader::StopIfTold(const Status& s) {
  if (s.code() != StatusCode::kCancelled) return false;
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stop_.ok()) {
    spdlog::error("worker: the coordinator told this group to stop: {}", s.message());
    stop_ = s;
  }
  return true;
}

template <typename Call>
Status Leader::Retry(const char* what, std::chrono::milliseconds patience, Call call) {
  Backoff backoff(options_.reconnect_initial, options_.reconnect_max);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    Status s = call();
    if (!Transient(s)) {
      if (backoff.attempts() > 0) spdlog::info("worker: coordinator reachable again ({})", what);
      return s;
    }
    if (std::chrono::steady_clock::now() - start > patience) return s;
    if (backoff.attempts() == 0) {
      spdlog::warn("worker: {}: {}; retrying with backoff", what, s.ToString());
    }
    std::this_thread::sleep_for(backoff.Next());
  }
}

bool Leader::Register() {
  for (;;) {
    if (DrainRequested() || Stopping()) return false;
    Status s = Retry("register", std::chrono::seconds(5), [&]() -> Status {
      auto reg = client_.RegisterGroup(group_size_, devices_, options_.host, kChromatuneVersion,
                                       options_.label);
      if (!reg.ok()) return reg.status();
      group_id_ = reg->group_id;
      heartbeat_interval_ms_ = reg->heartbeat_interval_ms;
      return Status::Ok();
    });
    if (s.ok()) {
      spdlog::info("worker: registered as group {} ({} ranks) at {}", group_id_, group_size_,
                   options_.coordinator.ToString());
      return true;
    }
    if (!Transient(s)) {
      // Auth or protocol errors do not heal by waiting long; still, keep the group alive
      // at a slow pace so an operator can fix the token file.
      spdlog::error("worker: cannot register: {}", s.ToString());
      std::this_thread::sleep_for(options_.reconnect_max);
    }
  }
}

void Leader::ReportCrashNotes() {
  if (options_.crash_dir.empty()) return;
  const std::vector<CrashNote> notes = CollectCrashNotes(options_.crash_dir);
  std::set<std::pair<int64_t, int>> crashed;  // (trial, attempt): charged, never given back
  for (const auto& note : notes) crashed.insert({note.trial_id, note.attempt});
  for (const auto& note : notes) {
    Status s = Retry("report crash", std::chrono::seconds(30), [&] {
      return client_.Fail(note.trial_id, note.attempt, note.lease_id, note.error,
                          /*final=*/false);
    });
    spdlog::info("worker: reported crash of trial {} attempt {} ({}): {}", note.trial_id,
                 note.attempt, note.error, s.ok() ? "recorded" : s.ToString());
    const std::string reason = "worker group ended: trial " + std::to_string(note.trial_id) +
                               " of its round crashed (" + note.error + ")";
    for (const auto& mate : note.mates) {
      if (crashed.count({mate.trial_id, mate.attempt})) continue;
      Status released = Retry("report crash", std::chrono::seconds(30), [&] {
        return client_.Release(mate.trial_id, mate.attempt, mate.lease_id, reason,
                               /*infrastructure=*/true);
      });
      spdlog::info("worker: gave back trial {} attempt {}, a round-mate of crashed trial {}: {}",
                   mate.trial_id, mate.attempt, note.trial_id,
                   released.ok() ? "re-queued" : released.ToString());
    }
  }
}

bool Leader::Connect() {
  if (!Register()) return false;
  ReportCrashNotes();
  return true;
}

std::vector<RoundTrial> Leader::NextTrials() {
  const auto now = std::chrono::steady_clock::now();
  if (round_start_ != std::chrono::steady_clock::time_point{}) {
    last_round_ = std::chrono::duration_cast<std::chrono::milliseconds>(now - round_start_);
  }
  std::vector<RoundTrial> trials;
  {
    std::unique_lock<std::mutex> lock(delivery_mu_);
    delivery_cv_.wait(lock, [this] { return !ahead_pending_; });
    trials.swap(ahead_);
  }
  while (trials.empty() && !DrainRequested() && !Stopping()) {
    std::vector<protocol::LeasedTrial> leased;
    Status s = Retry("lease", std::chrono::seconds(5), [&]() -> Status {
      auto r = client_.Lease(group_id_, group_size_, group_size_, options_.long_poll);
      if (!r.ok()) return r.status();
      leased = std::move(r).value();
      return Status::Ok();
    });
    if (StopIfTold(s)) break;
    if (s.code() == StatusCode::kNotFound) {
      spdlog::warn("worker: coordinator does not know group {}: registering again", group_id_);
      if (!Register()) break;
      continue;
    }
    if (!s.ok()) {
      if (!Transient(s)) {
        spdlog::error("worker: lease refused: {}", s.ToString());
        std::this_thread::sleep_for(options_.reconnect_max);
      }
      continue;
    }
    Status fit;
    trials = ToRound(std::move(leased), group_size_, &fit);
    if (!fit.ok()) {
      ReleaseAll(trials, fit.ToString());
      trials.clear();
    }
  }
  if (!trials.empty() && (DrainRequested() || Stopping())) {
    ReleaseAll(trials, "worker draining (SIGTERM)");
    trials.clear();
  }
  round_start_ = std::chrono::steady_clock::now();
  return trials;
}

void Leader::LeaseAhead() {
  if (last_round_ >= options_.lease_ahead_below || DrainRequested()) return;
  std::lock_guard<std::mutex> lock(delivery_mu_);
  if (ahead_pending_ || !ahead_.empty()) return;
  if (!delivery_thread_.joinable()) delivery_thread_ = std::thread([this] { DeliveryLoop(); });
  ahead_pending_ = true;
  delivery_cv_.notify_all();
}

void Leader::LeaseAheadNow(protocol::CoordinatorClient& client) {
  auto leased = client.Lease(group_id_, group_size_, group_size_, std::chrono::milliseconds(0));
  if (!leased.ok()) {
    StopIfTold(leased.status());
    // NextTrials asks again, with its retries and re-registration.
    spdlog::debug("worker: lease ahead: {}", leased.status().ToString());
    return;
  }
  TakeAhead(client, std::move(leased).value());
}

void Leader::TakeAhead(protocol::CoordinatorClient& client,
                       std::vector<protocol::LeasedTrial> leased) {
  Status fit;
  std::vector<RoundTrial> trials = ToRound(std::move(leased), group_size_, &fit);
  if (!fit.ok()) {
    for (const auto& t : trials) {
      (void)client.Release(t.trial_id, t.attempt, t.lease_id, fit.ToString());
    }
    return;
  }
  if (trials.empty()) return;
  {
    // Renewed with the running round, so a round that turns out long does not let them
    // expire while they wait.
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& t : trials) {
      beats_[t.trial_id] =
          Beat{t.trial_id, t.attempt, t.lease_id, -1.0, "", false, false, {}, /*started=*/false};
    }
  }
  std::lock_guard<std::mutex> lock(delivery_mu_);
  ahead_ = std::move(trials);
}

void Leader::ReleaseAll(const std::vector<RoundTrial>& trials, const std::string& reason) {
  for (const auto& t : trials) {
    Status s = Retry("release", std::chrono::seconds(10),
                     [&] { return client_.Release(t.trial_id, t.attempt, t.lease_id, reason); });
    if (!s.ok()) spdlog::warn("worker: release of trial {}: {}", t.trial_id, s.ToString());
  }
}

void Leader::StartHeartbeats(const std::vector<RoundTrial>& trials) {
  StopHeartbeats();
  {
    std::lock_guard<std::mutex> lock(mu_);
    beats_.clear();
    for (const auto& t : trials)
      beats_[t.trial_id] =
          Beat{t.trial_id, t.attempt, t.lease_id, -1.0, "", false, false, {}, true};
    beating_ = true;
  }
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
}

void Leader::StopHeartbeats() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    beating_ = false;
  }
  cv_.notify_all();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

void Leader::SetProgress(int64_t trial_id, double fraction, const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = beats_.find(trial_id);
  if (it == beats_.end()) return;
  it->second.progress = fraction;
  it->second.note = note;
}

bool Leader::CancelRequested(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = beats_.find(trial_id);
  return it != beats_.end() && it->second.cancel;
}

void Leader::ReportRung(int64_t trial_id, nlohmann::json rung) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = beats_.find(trial_id);
    if (it == beats_.end()) return;
    it->second.rungs.push_back(std::move(rung));
    urgent_ = true;
  }
  cv_.notify_all();
}

bool Leader::StopRequested(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = beats_.find(trial_id);
  return it != beats_.end() && it->second.stop;
}

void Leader::HeartbeatLoop() {
  // Its own connection: the main thread's client is not shared across threads.
  protocol::CoordinatorClient client(options_.coordinator, options_.token);
  client.set_request_timeout(options_.request_timeout);
  auto wait = std::min(options_.first_heartbeat, std::chrono::milliseconds(heartbeat_interval_ms_));
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, wait, [this] { return !beating_ || urgent_; }) && !beating_) return;
    urgent_ = false;
    std::vector<Beat> beats;
    for (const auto& [id, b] : beats_) beats.push_back(b);
    lock.unlock();
    bool reachable = true;
    for (const auto& b : beats) {
      // One heartbeat per waiting rung result (the first also renews), or a plain one.
      const size_t sends = std::max<size_t>(1, b.rungs.size());
      Status failure;
      for (size_t i = 0; i < sends; ++i) {
        const nlohmann::json rung = i < b.rungs.size() ? b.rungs[i] : nlohmann::json();
        auto reply = client.Heartbeat(b.trial_id, b.attempt, b.lease_id, b.progress, b.note, rung,
                                      b.started);
        if (!reply.ok()) {
          failure = reply.status();
          break;
        }
        std::lock_guard<std::mutex> relock(mu_);
        Beat& beat = beats_[b.trial_id];
        if (!rung.is_null() && !beat.rungs.empty()) beat.rungs.pop_front();  // answered
        beat.cancel = beat.cancel || reply->cancel;
        beat.stop = beat.stop || reply->stop;
        if (reply->cancel || reply->stop) break;
      }
      if (failure.ok()) {
        // answered: the flags are recorded above
      } else if (Transient(failure)) {
        reachable = false;
        spdlog::warn("worker: heartbeat of trial {}: {} (trial keeps running)", b.trial_id,
                     failure.ToString());
        break;
      } else if (!StopIfTold(failure)) {
        spdlog::warn("worker: heartbeat of trial {} refused: {}", b.trial_id, failure.ToString());
      }
    }
    lock.lock();
    // While the coordinator is away, try again sooner so the lease is renewed soon after
    // it returns.
    wait = std::chrono::milliseconds(
        reachable ? heartbeat_interval_ms_ : std::max<int64_t>(200, heartbeat_interval_ms_ / 4));
  }
}

void Leader::Deliver(const RoundTrial& trial, const TrialOutcomeMessage& outcome) {
  std::lock_guard<std::mutex> lock(delivery_mu_);
  if (!delivery_thread_.joinable()) delivery_thread_ = std::thread([this] { DeliveryLoop(); });
  deliveries_.emplace_back(trial, outcome);
  delivery_cv_.notify_all();
}

void Leader::Flush() {
  std::unique_lock<std::mutex> lock(delivery_mu_);
  delivery_cv_.wait(lock,
                    [this] { return deliveries_.empty() && !delivering_ && !ahead_pending_; });
}

bool Leader::FlushFor(std::chrono::milliseconds patience) {
  std::unique_lock<std::mutex> lock(delivery_mu_);
  return delivery_cv_.wait_for(
      lock, patience, [this] { return deliveries_.empty() && !delivering_ && !ahead_pending_; });
}

std::vector<RoundTrial> Leader::TakeLeasedAhead() {
  std::unique_lock<std::mutex> lock(delivery_mu_);
  delivery_cv_.wait_for(lock, options_.request_timeout, [this] { return !ahead_pending_; });
  std::vector<RoundTrial> out;
  out.swap(ahead_);
  return out;
}

void Leader::DeliveryLoop() {
  protocol::CoordinatorClient client(options_.coordinator, options_.token);
  client.set_request_timeout(options_.request_timeout);
  std::unique_lock<std::mutex> lock(delivery_mu_);
  for (;;) {
    delivery_cv_.wait(lock,
                      [this] { return stop_delivery_ || !deliveries_.empty() || ahead_pending_; });
    if (!deliveries_.empty()) {  // outcomes queued before a lease-ahead request go first
      auto next = std::move(deliveries_.front());
      deliveries_.pop_front();
      // The last of them carries the lease-ahead request when it is a completion.
      const bool carry = ahead_pending_ && deliveries_.empty();
      delivering_ = true;
      lock.unlock();
      const bool carried = DeliverNow(client, next.first, next.second, carry);
      lock.lock();
      delivering_ = false;
      if (carried) ahead_pending_ = false;
    } else if (ahead_pending_) {
      lock.unlock();
      LeaseAheadNow(client);
      lock.lock();
      ahead_pending_ = false;
    } else {
      return;  // stopping, nothing left
    }
    delivery_cv_.notify_all();
  }
}

bool Leader::DeliverNow(protocol::CoordinatorClient& client, const RoundTrial& trial,
                        const TrialOutcomeMessage& outcome, bool lease_ahead) {
  Status s;
  const char* what = "complete";
  bool carried = false;
  if (outcome.ok) {
    auto result = protocol::DecodeResult(outcome.result);
    if (!result.ok()) {
      what = "fail";
      s = Retry(what, options_.delivery_patience, [&] {
        return client.Fail(trial.trial_id, trial.attempt, trial.lease_id,
                           result.status().ToString(), false);
      });
    } else if (lease_ahead) {
      std::vector<protocol::LeasedTrial> leased;
      s = Retry(what, options_.delivery_patience, [&]() -> Status {
        auto r = client.CompleteAndLease(trial.trial_id, trial.attempt, trial.lease_id, *result,
                                         group_id_, group_size_, group_size_);
        if (!r.ok()) return r.status();
        leased = std::move(r).value();
        return Status::Ok();
      });
      if (s.ok()) {
        TakeAhead(client, std::move(leased));
        carried = true;
      }
    } else {
      s = Retry(what, options_.delivery_patience, [&] {
        return client.Complete(trial.trial_id, trial.attempt, trial.lease_id, *result);
      });
    }
  } else if (outcome.cancelled) {
    what = "release";
    s = Retry(what, options_.delivery_patience, [&] {
      return client.Release(trial.trial_id, trial.attempt, trial.lease_id, outcome.error);
    });
  } else {
    what = "fail";
    s = Retry(what, options_.delivery_patience, [&] {
      return client.Fail(trial.trial_id, trial.attempt, trial.lease_id, outcome.error,
                         outcome.final);
    });
  }
  if (!s.ok() && !StopIfTold(s)) {
    spdlog::warn("worker: {} of trial {} attempt {} not accepted: {}", what, trial.trial_id,
                 trial.attempt, s.ToString());
  }
  return carried;
}

}  // namespace chromatune::worker
