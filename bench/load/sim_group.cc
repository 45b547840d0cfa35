#include "bench/load/sim_group.h"

#include <utility>

namespace chromatune::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

SimGroup::SimGroup(asio::io_context& ioc, int index, const GroupOptions& options, LoadStats* stats)
    : ioc_(ioc),
      index_(index),
      options_(options),
      stats_(stats),
      stream_(ioc),
      trial_timer_(ioc),
      heartbeat_timer_(ioc),
      retry_timer_(ioc) {}

void SimGroup::Start() {
  Enqueue({Kind::kRegister,
           "/api/v1/groups",
           {{"ranks", 1}, {"host", "load-" + std::to_string(index_)}, {"version", "load"}},
           [this](const nlohmann::json& reply) {
             group_id_ = reply.value("group_id", int64_t{0});
             ++stats_->registered;
             RequestLease(options_.long_poll_ms);
           }});
}

void SimGroup::Connect() {
  stream_.async_connect(options_.coordinator, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->Failed("connect: " + ec.message());
    self->connected_ = true;
    self->SendNext();
  });
}

void SimGroup::Enqueue(Message m) {
  outbox_.push_back(std::move(m));
  if (!in_flight_) SendNext();
}

void SimGroup::SendNext() {
  if (outbox_.empty()) {
    in_flight_ = false;
    return;
  }
  in_flight_ = true;
  if (!connected_) return Connect();
  const Message& m = outbox_.front();
  request_ = {};
  request_.method(http::verb::post);
  request_.target(m.target);
  request_.version(11);
  request_.set(http::field::host, "127.0.0.1");
  request_.set(http::field::content_type, "application/json");
  request_.keep_alive(true);
  request_.body() = m.body.dump();
  request_.prepare_payload();
  const auto sent = Clock::now();
  stream_.expires_after(std::chrono::seconds(60));
  http::async_write(
      stream_, request_, [self = shared_from_this(), sent](beast::error_code ec, size_t) {
        if (ec) return self->OnReply(ec, sent);
        self->response_ = {};
        http::async_read(self->stream_, self->buffer_, self->response_,
                         [self, sent](beast::error_code ec, size_t) { self->OnReply(ec, sent); });
      });
}

void SimGroup::OnReply(beast::error_code ec, Clock::time_point sent) {
  if (ec) return Failed("exchange: " + ec.message());
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
  Message m = std::move(outbox_.front());
  outbox_.pop_front();
  const int status = response_.result_int();
  const auto body = nlohmann::json::parse(response_.body(), nullptr, false);
  if (!response_.keep_alive()) {
    connected_ = false;
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }
  if (stats_->measuring) {
    if (m.kind == Kind::kLease) stats_->lease.Add(ms);
    if (m.kind == Kind::kHeartbeat) stats_->heartbeat.Add(ms);
    if (m.kind == Kind::kComplete) stats_->complete.Add(ms);
  }
  if (status == 409 && (m.kind == Kind::kHeartbeat || m.kind == Kind::kComplete)) {
    ++stats_->stale;
  } else if (status / 100 != 2) {
    ++stats_->errors;
    stats_->last_error = std::to_string(status) + " " + m.target + ": " + response_.body();
  }
  if (status / 100 == 2 && m.done) m.done(body);
  if (m.kind == Kind::kLease && status / 100 != 2) leasing_ = false;
  SendNext();
}

void SimGroup::Failed(const std::string& what) {
  ++stats_->errors;
  stats_->last_error = what;
  connected_ = false;
  beast::error_code ignored;
  stream_.socket().close(ignored);
  // Sends the same message again on a new connection a second later.
  retry_timer_.expires_after(std::chrono::seconds(1));
  retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->SendNext();
  });
}

nlohmann::json SimGroup::Claim(const Trial& t) const {
  return {{"attempt", t.attempt}, {"lease_id", t.lease_id}};
}

void SimGroup::RequestLease(int64_t wait_ms) {
  if (leasing_) return;
  leasing_ = true;
  Enqueue({Kind::kLease,
           "/api/v1/lease",
           {{"group_id", group_id_}, {"free_ranks", 1}, {"max_trials", 1}, {"wait_ms", wait_ms}},
           [this](const nlohmann::json& reply) {
             leasing_ = false;
             AddTrials(reply);
             MaybeStart();
             if (!running_ && ready_.empty()) RequestLease(options_.long_poll_ms);
           }});
}

void SimGroup::AddTrials(const nlohmann::json& reply) {
  for (const auto& t : reply.value("trials", nlohmann::json::array())) {
    ready_.push_back({t.value("trial_id", int64_t{0}), t.value("attempt", 0),
                      t.value("lease_id", std::string())});
  }
}

void SimGroup::MaybeStart() {
  if (running_ || ready_.empty()) return;
  running_ = ready_.front();
  ready_.pop_front();
  trial_timer_.expires_after(options_.trial);
  trial_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->Finish();
  });
  // As the worker: the first heartbeat a second after the start (none for shorter trials).
  ArmHeartbeat(std::chrono::seconds(1));
  // Lease ahead: the next trial is here when this one ends. A completion in flight carries
  // that lease already.
  if (ready_.empty() && completing_ == 0) RequestLease(0);
}

void SimGroup::Finish() {
  const Trial t = *running_;
  running_.reset();
  nlohmann::json body = Claim(t);
  body["result"] = options_.result;
  body["lease"] = {{"group_id", group_id_}, {"free_ranks", 1}, {"max_trials", 1}};
  ++completing_;
  Enqueue({Kind::kComplete, "/api/v1/trials/" + std::to_string(t.id) + "/complete", body,
           [this](const nlohmann::json& reply) {
             --completing_;
             if (reply.value("stored", false) && stats_->measuring) ++stats_->completed;
             AddTrials(reply);
             MaybeStart();
             if (!running_ && ready_.empty()) RequestLease(options_.long_poll_ms);
           }});
  MaybeStart();
}

void SimGroup::Heartbeat(const Trial& t) {
  nlohmann::json body = Claim(t);
  body["progress"] = 0.0;
  Enqueue(
      {Kind::kHeartbeat, "/api/v1/trials/" + std::to_string(t.id) + "/heartbeat", body, nullptr});
}

void SimGroup::ArmHeartbeat(std::chrono::milliseconds after) {
  // Re-arming cancels the pending wait (a new trial starts its own schedule).
  heartbeat_timer_.expires_after(after);
  heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->running_) return;
    self->Heartbeat(*self->running_);
    self->ArmHeartbeat(self->options_.heartbeat);
  });
}

}  // namespace chromatune::bench
