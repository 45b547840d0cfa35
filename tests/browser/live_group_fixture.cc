// live_group_fixture: writes a sweep that a worker group is busy with, as the dashboard
// shows a live coordinator's store (issue 21 item 5): the group's own heartbeat is
// --group-age-s seconds old, while its trial heartbeats are fresh. Through the store's
// write path with its clock set back (StoreOptions::now_ms): at the group's age, a group
// registers and leases the sweep's three trials and completes the first; now, it heartbeats
// the second (progress 0.4, note "epoch 4/10, loss 0.512") and leaves the third leased
// ahead (no progress, no note). Parameters: lr and ctx_len, so the dashboard's
// `name=value` rendering has something to show.
//
// Usage: live_group_fixture --db FILE --sweep NAME --group-age-s S
// Prints the ids of the running and leased-ahead trials ("running=ID leased=ID"). Exit 0 on
// success, 2 on bad arguments, 1 when a write fails.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/result_store.h"

namespace chromatune {
namespace {

using json = nlohmann::json;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json Item(const std::string& sweep, int index, double lr) {
  return {{"index", index},
          {"key", sweep + "/" + std::to_string(index)},
          {"sweep", sweep},
          {"task", "classification"},
          {"dataset", "fashion-mnist"},
          {"method", "coop"},
          {"shots", 4},
          {"data_seed", 1},
          {"train_seed", index + 1},
          {"params", {{"lr", lr}, {"ctx_len", 16}, {"epochs", 10}}},
          {"resources", {{"ranks", 1}}}};
}

Status Write(const std::string& db, const std::string& sweep_name, int64_t age_s) {
  const int64_t now = WallMs();
  int64_t clock = now - age_s * 1000;
  StoreOptions options;
  options.now_ms = [&clock] { return clock; };
  CT_ASSIGN_OR_RETURN(auto store, ResultStore::Open(db, StoreMode::kReadWrite, options));
  NewSweep sweep;
  sweep.name = sweep_name;
  sweep.user = "fixture";
  sweep.spec_yaml = "# written by live_group_fixture\nname: " + sweep_name + "\n";
  for (int i = 0; i < 3; ++i) sweep.items.push_back(Item(sweep_name, i, 0.002 * (i + 1)));
  CT_ASSIGN_OR_RETURN(SweepSubmission created, store->CreateSweep(sweep));
  CT_ASSIGN_OR_RETURN(auto trials,
                      store->ListTrials(TrialFilter{created.sweep_id, std::nullopt, 0, 0}));
  if (trials.size() != 3)
    return Internal("expected 3 trials, found " + std::to_string(trials.size()));
  WorkerGroupInfo group;
  group.host = "gpu-node-7";
  group.ranks = 2;
  group.user = "workers";
  group.role = "worker";
  CT_ASSIGN_OR_RETURN(int64_t group_id, store->RegisterWorkerGroup(group));
  const int64_t lease_until = now + 3600 * 1000;
  int attempts[3];
  for (int i = 0; i < 3; ++i) {
    CT_ASSIGN_OR_RETURN(TransitionOutcome lease, store->Lease(trials[i].id, group_id, lease_until));
    attempts[i] = lease.attempt;
  }
  CT_RETURN_IF_ERROR(store->MarkRunning(trials[0].id, attempts[0]));
  TrialResult result;
  result.metrics = {{"accuracy", 0.61}};
  CT_RETURN_IF_ERROR(store->Complete(trials[0].id, attempts[0], result));
  CT_RETURN_IF_ERROR(store->MarkRunning(trials[1].id, attempts[1]));
  clock = now;  // the trial heartbeat arrives now; the group's own heartbeat stays old
  CT_RETURN_IF_ERROR(
      store->RenewLease(trials[1].id, attempts[1], lease_until, 0.4, "epoch 4/10, loss 0.512"));
  std::printf("running=%lld leased=%lld\n", static_cast<long long>(trials[1].id),
              static_cast<long long>(trials[2].id));
  return Status::Ok();
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "live_group_fixture: %s\nusage: live_group_fixture --db FILE --sweep NAME "
               "--group-age-s S\n",
               why.c_str());
  return 2;
}

}  // namespace
}  // namespace chromatune

int main(int argc, char** argv) {
  using namespace chromatune;
  std::string db, sweep;
  long long age_s = -1;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(flag + ": missing value");
    const std::string value = argv[i + 1];
    if (flag == "--db") {
      db = value;
    } else if (flag == "--sweep") {
      sweep = value;
    } else if (flag == "--group-age-s") {
      char* end = nullptr;
      age_s = std::strtoll(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || age_s < 0) return Usage("bad --group-age-s");
    } else {
      return Usage("unknown argument " + flag);
    }
  }
  if (db.empty() || sweep.empty() || age_s < 0) {
    return Usage("--db, --sweep and --group-age-s are required");
  }
  Status s = Write(db, sweep, age_s);
  if (!s.ok()) {
    std::fprintf(stderr, "live_group_fixture: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
