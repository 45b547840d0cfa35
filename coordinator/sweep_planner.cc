#include "coordinator/sweep_planner.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/wall_clock.h"
#include "coordinator/store_fault.h"
#include "experiments/sweep/plan.h"

namespace chromatune::coordinator {
namespace {

const char* StateName(Submission::State state) {
  switch (state) {
    case Submission::State::kPlanning:
      return "planning";
    case Submission::State::kReady:
      return "ready";
    case Submission::State::kFailed:
      return "failed";
    case Submission::State::kCancelled:
      return "cancelled";
  }
  return "planning";
}

// The planner yields the CPU to the I/O threads (2 cores here): nice 10 for this thread only.
void LowerThreadPriority() {
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  if (setpriority(PRIO_PROCESS, tid, 10) != 0) {
    spdlog::debug("sweep planner: could not lower its priority");
  }
}

}  // namespace

Submission::Submission(SweepSpec spec, Identity who, int64_t now_ms)
    : spec_(std::move(spec)), who_(std::move(who)), started_ms_(now_ms) {}

bool Submission::finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ != State::kPlanning;
}

nlohmann::json Submission::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = summary_.is_object() ? summary_ : nlohmann::json::object();
  j["sweep"] = spec_.name;
  j["user"] = who_.user;
  j["state"] = StateName(state_);
  // Cancelled while expanding (which is not interruptible): it stops before storing.
  if (state_ == State::kPlanning) j["phase"] = cancel_ ? "cancelling" : phase_;
  j["stored"] = stored_;
  j["total"] = total_;
  j["started_ms"] = started_ms_;
  if (state_ == State::kFailed) j["error"] = error_.message();
  return j;
}

Result<nlohmann::json> Submission::Outcome() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kPlanning) return Unavailable("sweep " + spec_.name + ": still planning");
    if (state_ == State::kFailed) return error_;
    if (state_ == State::kCancelled) {
      return FailedPrecondition("the submission of sweep " + spec_.name + " was cancelled");
    }
  }
  return ToJson();
}

void Submission::OnFinished(std::function<void()> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kPlanning) {
      on_finished_.push_back(std::move(done));
      return;
    }
  }
  done();
}

void Submission::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return state_ != State::kPlanning; });
}

void Submission::SetPhase(const char* phase, int64_t stored, int64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  phase_ = phase;
  stored_ = stored;
  total_ = total;
}

void Submission::Finish(State state, Status error, nlohmann::json summary) {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = state;
    error_ = std::move(error);
    summary_ = std::move(summary);
    callbacks.swap(on_finished_);
  }
  cv_.notify_all();
  for (auto& done : callbacks) done();
}

SweepPlanner::SweepPlanner(ResultStore* store, OnStored on_stored, SweepPlannerOptions options)
    : store_(store), on_stored_(std::move(on_stored)), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = WallClockMs;
  thread_ = std::thread([this] { Run(); });
}

SweepPlanner::~SweepPlanner() {
  std::deque<std::shared_ptr<Submission>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    left.swap(queue_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& sub : left) {
    sub->Finish(Submission::State::kFailed,
                Unavailable("the coordinator stopped before sweep " + sub->sweep() +
                            " was stored; submit it again"),
                nullptr);
  }
}

bool SweepPlanner::Stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

Result<int64_t> SweepPlanner::DiscardDrafts() {
  CT_ASSIGN_OR_RETURN(auto drafts, store_->ListSweepDrafts());
  for (const auto& [id, name] : drafts) {
    spdlog::warn(
        "coordinator: sweep {} was being stored when the last coordinator stopped: "
        "discarded (submit it again)",
        name);
    while (true) {
      CT_ASSIGN_OR_RETURN(bool gone, store_->DiscardSweepDraft(id, options_.rows_per_step * 10));
      if (gone) break;
    }
  }
  return static_cast<int64_t>(drafts.size());
}

Result<std::shared_ptr<Submission>> SweepPlanner::Submit(SweepSpec spec, const Identity& who) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Unavailable("the coordinator is stopping");
  // The current submission may have finished already (a cancelled one being discarded).
  auto in_progress = [&](const std::shared_ptr<Submission>& s) {
    return s->sweep() == spec.name && !s->finished();
  };
  std::shared_ptr<Submission> same;
  if (current_ && in_progress(current_)) same = current_;
  for (const auto& s : queue_) {
    if (in_progress(s)) same = s;
  }
  if (same) {
    if (same->who().user == who.user && same->spec().yaml_text == spec.yaml_text) return same;
    return FailedPrecondition("sweep \"" + spec.name + "\" is being planned (submitted by " +
                              same->who().user +
                              "); wait until it is ready (chromatune status) or cancel it");
  }
  auto sub = std::make_shared<Submission>(std::move(spec), who, options_.now_ms());
  queue_.push_back(sub);
  cv_.notify_all();
  return sub;
}

std::shared_ptr<Submission> SweepPlanner::Find(const std::string& sweep) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
    if ((*it)->sweep() == sweep) return *it;
  }
  if (current_ && current_->sweep() == sweep) return current_;
  auto done = finished_.find(sweep);
  return done == finished_.end() ? nullptr : done->second;
}

std::vector<std::shared_ptr<Submission>> SweepPlanner::InProgress() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Submission>> out;
  if (current_ && !current_->finished()) out.push_back(current_);
  out.insert(out.end(), queue_.begin(), queue_.end());
  return out;
}

std::shared_ptr<Submission> SweepPlanner::Cancel(const std::string& sweep) {
  std::shared_ptr<Submission> sub;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if ((*it)->sweep() != sweep) continue;
      sub = *it;
      queue_.erase(it);
      // Never started: nothing was stored.
      sub->Finish(Submission::State::kCancelled, Status::Ok(), nullptr);
      Remember(sub);
      return sub;
    }
    if (!current_ || current_->sweep() != sweep || current_->finished()) return nullptr;
    sub = current_;
  }
  // Under the step lock: no step of this submission starts after we return.
  std::lock_guard<std::mutex> step(step_mu_);
  std::lock_guard<std::mutex> sub_lock(sub->mu_);
  sub->cancel_ = true;
  return sub;
}

void SweepPlanner::Remember(const std::shared_ptr<Submission>& sub) {
  // mu_ held by the caller.
  if (finished_.count(sub->sweep()) == 0) finished_order_.push_back(sub->sweep());
  finished_[sub->sweep()] = sub;
  while (finished_order_.size() > options_.remembered) {
    finished_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
}

void SweepPlanner::Run() {
  LowerThreadPriority();
  while (true) {
    std::shared_ptr<Submission> sub;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      sub = queue_.front();
      queue_.pop_front();
      current_ = sub;
    }
    Plan(sub);
    std::lock_guard<std::mutex> lock(mu_);
    current_.reset();
    if (sub->finished()) Remember(sub);
  }
}

Status SweepPlanner::Discard(int64_t sweep_id) {
  int64_t steps = 0;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool gone, store_->DiscardSweepDraft(sweep_id, options_.rows_per_step));
    if (gone) return Status::Ok();
    if (++steps % 16 == 0 && Stopping()) {
      return Unavailable("stopped while discarding; the next start discards the rest");
    }
    std::this_thread::sleep_for(options_.pause);
  }
}

void SweepPlanner::Plan(const std::shared_ptr<Submission>& sub) {
  const std::string& name = sub->sweep();
  auto cancelled = [&] {
    std::lock_guard<std::mutex> lock(sub->mu_);
    return sub->cancel_;
  };
  // A store fault (disk full, file locked) is the coordinator's, not the sweep's: 503 with
  // "send it again later" (store_fault.h), like every other refused write.
  auto fail = [&](const Status& cause) {
    const Status s = RetryLater(cause, "take new sweeps");
    spdlog::warn("coordinator: submission of sweep {} by {} failed: {}", name, sub->who().user,
                 s.ToString());
    sub->Finish(Submission::State::kFailed, s, nullptr);
  };
  sub->SetPhase("expanding", 0, 0);
  auto plan = PlanSweep(sub->spec());
  if (!plan.ok()) return fail(plan.status().WithContext(name));
  if (cancelled()) return sub->Finish(Submission::State::kCancelled, Status::Ok(), nullptr);
  NewSweep sweep;
  sweep.name = name;
  sweep.spec_yaml = sub->spec().yaml_text;
  sweep.user = sub->who().user;
  sweep.may_resume_others = sub->who().role == Role::kAdmin;
  sweep.priority = static_cast<int>(sub->spec().priority);
  sweep.retries = static_cast<int>(sub->spec().retries);
  sweep.rerun = sub->spec().rerun;
  sweep.items = nlohmann::json::array();
  for (auto& item : plan->items) sweep.items.push_back(std::move(item));
  plan->items.clear();
  const int64_t total = static_cast<int64_t>(sweep.items.size());
  sub->SetPhase("storing", 0, total);

  auto began = store_->BeginSweep(sweep);
  if (!began.ok()) return fail(began.status());
  std::unique_ptr<SweepDraft> draft = std::move(began).value();
  // Cut short: the submission ends first (its client is answered), then a new sweep's rows
  // are deleted; a resume keeps the steps it made (each left the sweep consistent).
  auto abandon = [&](Submission::State state, const Status& why) {
    if (state == Submission::State::kFailed) {
      fail(why);
    } else {
      spdlog::info("coordinator: submission of sweep {} cancelled after {} of {} trials", name,
                   draft->stored(), total);
      sub->Finish(state, Status::Ok(), nullptr);
    }
    if (draft->resumed()) return;
    Status discarded = Discard(draft->sweep_id());
    if (!discarded.ok()) spdlog::warn("coordinator: sweep {}: {}", name, discarded.ToString());
  };
  while (true) {
    if (Stopping()) {
      return fail(
          Unavailable("the coordinator stopped while storing sweep " + name + "; submit it again"));
    }
    Result<bool> done = false;
    {
      std::lock_guard<std::mutex> step(step_mu_);
      if (cancelled()) break;
      done = store_->StepSweep(draft.get(), options_.rows_per_step);
    }
    if (!done.ok()) return abandon(Submission::State::kFailed, done.status().WithContext(name));
    sub->SetPhase("storing", draft->stored(), total);
    if (*done) break;
    std::this_thread::sleep_for(options_.pause);
  }
  if (!draft->finished()) return abandon(Submission::State::kCancelled, Status::Ok());
  const SweepSubmission& s = draft->submission();
  on_stored_(*sub, s);
  sub->Finish(Submission::State::kReady, Status::Ok(),
              nlohmann::json{{"sweep_id", s.sweep_id},
                             {"trials", total},
                             {"created", s.created},
                             {"reused", s.reused},
                             {"requeued", s.requeued},
                             {"unchanged", s.unchanged},
                             {"dropped", s.dropped},
                             {"resumed", s.resumed}});
}

}  // namespace chromatune::coordinator
