#include "worker/worker.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <thread>

#include "coordinator/server.h"
#include "worker/leader.h"
#include "worker/signals.h"

namespace chromatune::worker {
namespace {

using namespace std::chrono_literals;

std::string Sweep(const std::string& name, int trials, const std::string& params) {
  std::string seeds;
  for (int i = 1; i <= trials; ++i) seeds += (i > 1 ? "," : "") + std::to_string(i);
  return "name: " + name +
         "\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
         "replicates: {data_seeds: [1], train_seeds: [" +
         seeds + "]}\nmethods:\n  - {name: noop, " + params + "}\nretries: 0\n";
}

std::string TempDb(const std::string& tag) {
  auto dir = std::filesystem::path(::testing::TempDir()) /
             ("ct-worker-" + tag + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "runs.db").string();
}

// Starts a coordinator on loopback (a fresh database named by `tag`, the rest of `config` as
// given) with `sweep_yaml` submitted. In the test's child process: exits 10 or 11 on failure.
std::unique_ptr<coordinator::CoordinatorServer> ServeSweep(coordinator::ServerConfig& config,
                                                           const std::string& tag,
                                                           const std::string& sweep_yaml) {
  config.db_path = TempDb(tag);
  config.insecure_loopback = true;
  auto server = coordinator::CoordinatorServer::Start(config);
  if (!server.ok()) std::_Exit(10);
  if (!(*server)
           ->coordinator()
           .SubmitSweep(sweep_yaml, tag + ".yaml", {"t", coordinator::Role::kAdmin})
           .ok())
    std::_Exit(11);
  return std::move(server).value();
}

// Runs a one-rank worker against an in-process coordinator until the sweep finishes,
// then drains it with SIGTERM. In a child process (EXPECT_EXIT): signals are process-wide;
// the child ends with _Exit so no static destructor races the server's threads.
void RunSweepThenDrain(const std::string& params, const std::string& expect_state) {
  coordinator::ServerConfig config;
  auto server = ServeSweep(config, "loop", Sweep("w", 3, params));
  auto& coord = server->coordinator();
  InstallSignalHandlers("");
  WorkerOptions options;
  options.coordinator = {"127.0.0.1", server->port()};
  options.host = "test-host";
  options.long_poll = 200ms;
  TrialRunner runner(RunnerOptions{});
  Status result;
  std::thread worker([&] { result = RunWorker(options, nullptr, runner); });
  for (int i = 0; i < 300; ++i) {
    auto c = coord.store()->GetSweep("w")->counts;
    if (c.finished()) break;
    std::this_thread::sleep_for(20ms);
  }
  raise(SIGTERM);
  worker.join();
  if (!result.ok()) std::_Exit(12);
  TrialFilter all;
  auto trials = coord.store()->ListTrials(all);
  if (!trials.ok() || trials->size() != 3) std::_Exit(13);
  for (const auto& t : *trials) {
    if (TrialStateName(t.state) != expect_state) std::_Exit(14);
  }
  server->Stop();
  std::_Exit(0);
}

TEST(WorkerLoopTest, RunsASweepAndDrains) {
  EXPECT_EXIT(RunSweepThenDrain("sleep_ms: 10", "done"), ::testing::ExitedWithCode(0), "");
}

TEST(WorkerLoopTest, FailingTrialsAreRecordedAsFailed) {
  EXPECT_EXIT(RunSweepThenDrain("fail: throw", "failed"), ::testing::ExitedWithCode(0), "");
}

// The leader keeps a finished result while the coordinator is away and delivers it when
// the coordinator is back (same port, same database).
void DeliverAfterCoordinatorRestart() {
  coordinator::ServerConfig config;
  config.coordinator.lease_timeout = 5000ms;
  Result<std::unique_ptr<coordinator::CoordinatorServer>> server =
      ServeSweep(config, "restart", Sweep("r", 1, "sleep_ms: 0"));
  const int port = (*server)->port();
  WorkerOptions options;
  options.coordinator = {"127.0.0.1", port};
  options.host = "test-host";
  options.reconnect_initial = 50ms;
  options.reconnect_max = 200ms;
  Leader leader(options, 1);
  if (!leader.Connect()) std::_Exit(12);
  auto trials = leader.NextTrials();
  if (trials.size() != 1) std::_Exit(13);
  (*server)->Stop();  // the coordinator goes away while the trial "runs"
  server = Result<std::unique_ptr<coordinator::CoordinatorServer>>(Unavailable("down"));
  std::thread restart([&] {
    std::this_thread::sleep_for(500ms);
    config.port = port;
    server = coordinator::CoordinatorServer::Start(config);
  });
  TrialOutcomeMessage ok;
  ok.ok = true;
  ok.result = {{"metrics", {{"accuracy", 0.75}}}};
  leader.Deliver(trials[0], ok);
  leader.Flush();  // the delivery thread retries until the coordinator is back
  restart.join();
  if (!server.ok()) std::_Exit(14);
  auto t = (*server)->coordinator().store()->GetTrial(trials[0].trial_id);
  if (!t.ok() || t->state != TrialState::kDone) std::_Exit(15);
  std::_Exit(0);
}

TEST(LeaderTest, DeliversAfterTheCoordinatorComesBack) {
  EXPECT_EXIT(DeliverAfterCoordinatorRestart(), ::testing::ExitedWithCode(0), "");
}

// Lease ahead (worker_options.h): after a short round the leader leases the next round
// while the current one runs, hands it out without another request, and gives it back when
// a drain comes first. `ahead` 0 disables it.
void LeaseAheadRounds(std::chrono::milliseconds ahead) {
  coordinator::ServerConfig config;
  auto server = ServeSweep(config, "ahead", Sweep("a", 4, "sleep_ms: 0"));
  auto& coord = server->coordinator();
  auto counts = [&] { return coord.store()->GetSweep("a")->counts; };
  InstallSignalHandlers("");
  WorkerOptions options;
  options.coordinator = {"127.0.0.1", server->port()};
  options.host = "test-host";
  options.long_poll = 200ms;
  options.lease_ahead_below = ahead;
  Leader leader(options, 1);
  if (!leader.Connect()) std::_Exit(12);
  TrialOutcomeMessage ok;
  ok.ok = true;
  ok.result = {{"metrics", {{"accuracy", 0.5}}}};

  // Round 1: no earlier round to judge by, so nothing is leased ahead.
  auto first = leader.NextTrials();
  if (first.size() != 1) std::_Exit(13);
  leader.LeaseAhead();
  leader.Flush();
  if (counts().leased != 1 || counts().pending != 3) std::_Exit(14);
  leader.Deliver(first[0], ok);

  // Round 2 follows a short round: the next trial is leased while it "runs".
  auto second = leader.NextTrials();
  if (second.size() != 1) std::_Exit(15);
  leader.LeaseAhead();
  leader.Flush();
  const int64_t expect_leased = ahead.count() > 0 ? 2 : 1;
  if (counts().done != 1 || counts().leased != expect_leased) std::_Exit(16);
  leader.Deliver(second[0], ok);
  leader.Flush();

  // Round 3 is the trial leased ahead (no new lease: still one trial pending of 4).
  auto third = leader.NextTrials();
  if (third.size() != 1 || third[0].trial_id == second[0].trial_id) std::_Exit(17);
  if (ahead.count() > 0 && counts().pending != 1) std::_Exit(18);
  leader.LeaseAhead();
  leader.Flush();
  leader.Deliver(third[0], ok);
  leader.Flush();

  // A drain before round 4 starts gives the trial leased ahead back to the queue.
  raise(SIGTERM);
  if (!leader.NextTrials().empty()) std::_Exit(19);
  const auto c = counts();
  if (c.done != 3 || c.pending != 1 || c.leased + c.running != 0) std::_Exit(20);
  server->Stop();
  std::_Exit(0);
}

TEST(LeaderTest, LeasesTheNextRoundAheadAndReleasesItOnDrain) {
  EXPECT_EXIT(LeaseAheadRounds(5000ms), ::testing::ExitedWithCode(0), "");
}

TEST(LeaderTest, LeaseAheadZeroLeasesOnlyWhenAsked) {
  EXPECT_EXIT(LeaseAheadRounds(0ms), ::testing::ExitedWithCode(0), "");
}

// The group registers each rank's device (options.device; issue 16): a one-rank worker its own,
// a Leader of R ranks given no list R copies of it, or the list it is given.
void RegistersDevices() {
  coordinator::ServerConfig config;
  auto server = ServeSweep(config, "devices", Sweep("d", 1, "sleep_ms: 0"));
  auto& coord = server->coordinator();
  InstallSignalHandlers("");
  WorkerOptions options;
  options.coordinator = {"127.0.0.1", server->port()};
  options.host = "test-host";
  options.long_poll = 200ms;
  options.device = {{"kind", "cpu"}};
  Leader copies(options, 2);
  if (!copies.Connect()) std::_Exit(12);
  const nlohmann::json listed = {{{"kind", "cpu"}}, {{"kind", "cuda"}, {"index", 0}}};
  Leader given(options, 2, listed);
  if (!given.Connect()) std::_Exit(13);
  options.device = {{"kind", "cuda"}, {"index", 1}, {"name", "Fake GPU"}};
  TrialRunner runner(RunnerOptions{});
  Status result;
  std::thread worker([&] { result = RunWorker(options, nullptr, runner); });
  for (int i = 0; i < 300 && !coord.store()->GetSweep("d")->counts.finished(); ++i) {
    std::this_thread::sleep_for(20ms);
  }
  auto status = coord.StatusReport();  // before the drain: the worker's group is active
  raise(SIGTERM);
  worker.join();
  if (!result.ok()) std::_Exit(14);
  if (!status.ok()) std::_Exit(15);
  std::map<int64_t, nlohmann::json> devices;
  for (const auto& g : (*status)["groups"]) devices[g["id"].get<int64_t>()] = g["devices"];
  if (devices.size() != 3) std::_Exit(16);
  auto it = devices.begin();
  if (it->second != nlohmann::json::array({{{"kind", "cpu"}}, {{"kind", "cpu"}}})) std::_Exit(17);
  if ((++it)->second != listed) std::_Exit(18);
  if ((++it)->second !=
      nlohmann::json::array({{{"kind", "cuda"}, {"index", 1}, {"name", "Fake GPU"}}}))
    std::_Exit(19);
  server->Stop();
  std::_Exit(0);
}

TEST(WorkerLoopTest, RegistersEachRanksDevice) {
  EXPECT_EXIT(RegistersDevices(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace chromatune::worker
