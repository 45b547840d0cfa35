#include "worker/worker.h"

#include <unistd.h>

#include <memory>

#include "common/log.h"
#include "coordinator/protocol/wire.h"
#include "experiments/sweep/method_catalog.h"
#include "worker/crash_notes.h"
#include "worker/device_comm.h"
#include "worker/hung_trial.h"
#include "worker/idle_broadcast.h"
#include "worker/leader.h"
#include "worker/round.h"
#include "worker/signals.h"
#include "worker/trial_execution.h"
#include "worker/trial_watchdog.h"

namespace chromatune::worker {
namespace {

// The epochs at which the item's search wants the objective (plan item "search".asha.rungs).
std::vector<int64_t> RungEpochsOf(const nlohmann::json& item) {
  std::vector<int64_t> out;
  const auto search = item.value("search", nlohmann::json::object());
  if (!search.is_object() || !search.contains("asha") || !search["asha"].is_object()) return out;
  for (const auto& r : search["asha"].value("rungs", nlohmann::json::array())) {
    if (r.is_number_integer()) out.push_back(r.get<int64_t>());
  }
  return out;
}

// A rung result as the coordinator reads it: the trial's metrics, plus "accuracy/<split>"
// for the first evaluated split (the one "accuracy" measures: ../shared/INTERFACES.md), so
// an objective such as accuracy/val is found at the rungs too.
nlohmann::json RungJson(const nlohmann::json& item, int rung, int64_t epoch,
                        const std::map<std::string, double>& metrics) {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [name, value] : metrics) m[name] = value;
  const auto options = item.value("dataset_options", nlohmann::json::object());
  const auto eval = options.is_object() ? options.value("eval", nlohmann::json::object())
                                        : nlohmann::json::object();
  const auto splits =
      eval.is_object() ? eval.value("split", nlohmann::json::array()) : nlohmann::json::array();
  auto accuracy = metrics.find("accuracy");
  if (accuracy != metrics.end() && splits.is_array() && !splits.empty() && splits[0].is_string()) {
    m["accuracy/" + splits[0].get<std::string>()] = accuracy->second;
  }
  return {{"rung", rung}, {"epoch", epoch}, {"metrics", std::move(m)}};
}

// Adds the rung results to a successful outcome's result (info.rungs): the coordinator
// records them if the heartbeats did not (a trial shorter than the first heartbeat, or one
// whose first rank is not rank 0 and has no heartbeats of its own).
void AttachRungs(const nlohmann::json& rungs, TrialOutcomeMessage* outcome) {
  if (rungs.empty() || !outcome->ok) return;
  auto result = protocol::DecodeResult(outcome->result);
  if (!result.ok()) return;
  if (!result->info.is_object()) result->info = nlohmann::json::object();
  result->info["rungs"] = rungs;
  outcome->result = protocol::EncodeResult(*result);
}

// How long the item's trial may go without a step (plan items carry it; items planned before
// `timeout:` existed get their method's default).
std::chrono::milliseconds TimeoutOf(const nlohmann::json& item) {
  const std::string method = item.value("method", std::string());
  return std::chrono::milliseconds(item.value("timeout_ms", MethodDefaultTimeoutMs(method)));
}

// Runs this rank's slot of the round; the outcome matters on the slot's first rank only.
// That rank (the trial's root: its progress reports arrive there) watches for a hang and
// decides cancellation; the trial shares the decision with its other ranks at its steps
// (CancelledEverywhere), so multi-rank trials stop together.
Result<TrialOutcomeMessage> RunSlot(const Round& round, int rank, MpiCommunicator* world,
                                    TrialRunner& runner, Leader* leader,
                                    const WorkerOptions& options) {
  const int slot = SlotOf(round, rank);
  std::unique_ptr<MpiCommunicator> sub;
  if (world != nullptr && world->size() > 1) {
    CT_ASSIGN_OR_RETURN(sub, world->Split(slot >= 0 ? slot : MpiCommunicator::kNoColor, rank));
  }
  if (slot < 0) return TrialOutcomeMessage{};
  const RoundTrial& trial = round.trials[slot];
  LocalCommunicator local;
  TrialContext ctx;
  ctx.comm = sub ? static_cast<Communicator*>(sub.get()) : &local;
  // NCCL over the slot's ranks for CUDA trials, created when the trainer first needs it.
  std::unique_ptr<Communicator> device_comm;
  ctx.device_comm = DeviceCommFor(*ctx.comm, &device_comm);
  ctx.rung_epochs = RungEpochsOf(trial.item);
  std::unique_ptr<TrialWatchdog> watchdog;
  if (rank == trial.first_rank) {
    watchdog = std::make_unique<TrialWatchdog>(
        TimeoutOf(trial.item), [&options, &round, slot, leader](std::chrono::milliseconds idle) {
          EndGroupForHungTrial(options, round, slot, leader, idle);
        });
    ctx.progress = [leader, &watchdog, id = trial.trial_id](double f, const std::string& note) {
      watchdog->Step();
      if (leader != nullptr) leader->SetProgress(id, f, note);
    };
    ctx.cancelled = [leader, id = trial.trial_id] {
      return DrainRequested() ||
             (leader != nullptr && (leader->CancelRequested(id) || leader->StopRequested(id)));
    };
  }
  nlohmann::json rungs = nlohmann::json::array();
  if (!ctx.rung_epochs.empty()) {
    ctx.report_rung = [leader, &rungs, &trial, &watchdog](
                          int rung, int64_t epoch, const std::map<std::string, double>& metrics) {
      if (watchdog) watchdog->Step();
      nlohmann::json r = RungJson(trial.item, rung, epoch, metrics);
      rungs.push_back(r);
      if (leader != nullptr) leader->ReportRung(trial.trial_id, std::move(r));
    };
  }
  std::vector<CrashMate> mates;  // a crash of this rank ends them too: not their fault
  for (const auto& t : round.trials) {
    if (t.trial_id != trial.trial_id) mates.push_back({t.trial_id, t.attempt, t.lease_id});
  }
  SetCrashContext(
      CrashContext(trial.trial_id, trial.attempt, rank, getpid(), trial.lease_id, mates));
  TrialOutcomeMessage outcome = ExecuteTrial(runner, trial.item, ctx);
  SetCrashContext("");
  AttachRungs(rungs, &outcome);
  return outcome;
}

// Every rank's options.device, in rank order, on rank 0 (other ranks get an empty list): what
// the group registers. Collective over `world` (null: the one rank's own), once at start-up.
Result<nlohmann::json> GatherDevices(const WorkerOptions& options, MpiCommunicator* world) {
  nlohmann::json devices = nlohmann::json::array();
  if (world == nullptr || world->size() == 1) {
    devices.push_back(options.device);
    return devices;
  }
  for (int r = 0; r < world->size(); ++r) {
    std::string text = world->rank() == r ? options.device.dump() : std::string();
    CT_RETURN_IF_ERROR(PatientBroadcastString(*world, &text, r));
    if (world->rank() != 0) continue;
    nlohmann::json entry = nlohmann::json::parse(text, nullptr, false);
    if (entry.is_discarded()) return Internal("rank " + std::to_string(r) + ": device is not JSON");
    devices.push_back(std::move(entry));
  }
  return devices;
}

}  // namespace

Status RunWorker(const WorkerOptions& options, MpiCommunicator* world, TrialRunner& runner) {
  const int rank = world ? world->rank() : 0;
  const int size = world ? world->size() : 1;
  const bool multi = size > 1;
  std::unique_ptr<Leader> leader;
  CT_ASSIGN_OR_RETURN(nlohmann::json devices, GatherDevices(options, world));
  if (rank == 0) {
    leader = std::make_unique<Leader>(options, size, std::move(devices));
    if (!leader->Connect()) {
      // Drained before registering: tell the other ranks to stop.
      if (multi) {
        std::string stop = EncodeRound(Round{true, {}});
        CT_RETURN_IF_ERROR(PatientBroadcastString(*world, &stop, 0));
      }
      return Status::Ok();
    }
  }
  int64_t rounds = 0;
  for (;;) {
    Round round;
    if (rank == 0) {
      round.trials = leader->NextTrials();
      round.stop = round.trials.empty();  // empty only when draining
    }
    if (multi) {
      std::string text = rank == 0 ? EncodeRound(round) : std::string();
      CT_RETURN_IF_ERROR(PatientBroadcastString(*world, &text, 0));
      if (rank != 0) {
        CT_ASSIGN_OR_RETURN(round, DecodeRound(text));
      }
    }
    if (round.stop) break;
    ++rounds;
    if (leader) {
      leader->StartHeartbeats(round.trials);
      leader->LeaseAhead();
    }
    CT_ASSIGN_OR_RETURN(TrialOutcomeMessage mine,
                        RunSlot(round, rank, world, runner, leader.get(), options));
    // Gather: each trial's first rank sends its outcome; rank 0 keeps them.
    std::vector<TrialOutcomeMessage> outcomes(round.trials.size());
    for (size_t i = 0; i < round.trials.size(); ++i) {
      const int root = round.trials[i].first_rank;
      if (!multi || root == 0) {
        if (rank == 0) outcomes[i] = mine;
        continue;
      }
      std::string text = rank == root ? EncodeOutcome(mine) : std::string();
      CT_RETURN_IF_ERROR(PatientBroadcastString(*world, &text, root));
      if (rank == 0) {
        auto decoded = DecodeOutcome(text);
        if (decoded.ok()) {
          outcomes[i] = std::move(decoded).value();
        } else {
          outcomes[i].error = decoded.status().ToString();
        }
      }
    }
    if (leader) {
      leader->StopHeartbeats();
      for (size_t i = 0; i < round.trials.size(); ++i) {
        // A trial the search stopped is stored `stopped` by the coordinator already.
        if (outcomes[i].cancelled && leader->StopRequested(round.trials[i].trial_id)) {
          spdlog::info("worker: trial {} stopped by the search", round.trials[i].trial_id);
          continue;
        }
        leader->Deliver(round.trials[i], outcomes[i]);
      }
    }
  }
  if (leader) {
    leader->Flush();  // every outcome delivered (or given up on) before the group exits
    // Told to stop (quarantined): exit with the coordinator's reason, not as a drain.
    CT_RETURN_IF_ERROR(leader->stopped());
    spdlog::info("worker: drained after {} rounds", rounds);
  }
  return Status::Ok();
}

}  // namespace chromatune::worker
