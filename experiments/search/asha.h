// ASHA (asynchronous successive halving, Li et al. 2020) over replicate groups: which
// configurations of one search go on training and which stop, decided rung by rung as
// results arrive.
//
// Rungs: a configuration trains with epochs as the resource; rung k is at min * eta^k epochs
// for every such epoch below max (RungEpochs). At each rung the configuration is promoted
// (trains on) when it is among the top 1/eta of the configurations decided at that rung so
// far, itself included (the asynchronous rule: no rung waits to fill up); otherwise it stops.
// While fewer than eta configurations were decided at a rung, only one that beats or ties
// every one of them goes on (Optuna's SuccessiveHalvingPruner does the same: the first
// configurations cannot be paused until better ones show up, so they must prove themselves).
//
// The paired rule (what no peer does): a configuration is its replicate group (data seeds x
// train seeds). Its decision at a rung waits until every replicate reported that rung and
// uses the group's mean, so a comparison is over the same support sets and one lucky support
// set never promotes a configuration. A replicate reporting a rung its group already passed
// (or a rung after its group stopped) changes nothing. Decisions are final.
//
// Pure: no I/O, no clock. Deterministic for the same sequence of calls. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chromatune::search {

struct AshaSchedule {
  int64_t min = 1;  // epochs at the first rung, >= 1
  int64_t max = 1;  // the full schedule; max replaces the method's epochs
  int64_t eta = 3;  // reduction factor, >= 2
};

// The epochs of the decision rungs: min * eta^k for k = 0, 1, ... while below max. Empty when
// min >= max (no early stopping). The full run (max) is not a decision rung.
std::vector<int64_t> RungEpochs(const AshaSchedule& schedule);

// The asynchronous rule: whether `value` is among the top max(1, floor(n / eta)) of the
// n = decided_before.size() + 1 values (ties promote). `maximize` orients the values.
bool Promotes(double value, const std::vector<double>& decided_before, int64_t eta, bool maximize);

struct RungDecision {
  std::string config;
  int rung = 0;
  double mean = 0.0;  // the replicate group's mean at the rung (as reported, not oriented)
  bool promoted = false;
};

class PairedAsha {
 public:
  // `rungs`: RungEpochs(schedule).size(); reports at rung `rungs` are the full run's final
  // values (recorded for Mean, never decided).
  PairedAsha(int rungs, int64_t eta, bool maximize);

  // Declares (or replaces) the replicates of `config`. Configurations are decided in the
  // order they were first declared when several become ready at once.
  void SetReplicates(const std::string& config, const std::set<std::string>& replicates);
  // Records a replicate's value at a rung; the first report of (replicate, rung) counts, a
  // repeat (a re-leased trial reporting again) is ignored. False when ignored or unknown.
  bool Record(const std::string& config, const std::string& replicate, int rung, double value);
  // The replicate no longer counts (it failed for good). Call DecideReady afterwards.
  void DropReplicate(const std::string& config, const std::string& replicate);
  // Makes every decision the recorded reports allow, in a deterministic order; returns them.
  std::vector<RungDecision> DecideReady();
  // Record + DecideReady.
  std::vector<RungDecision> Report(const std::string& config, const std::string& replicate,
                                   int rung, double value);
  // Re-applies a decision made before (restoring from the store, in the original order).
  void Restore(const RungDecision& decision);

  // The rung at which `config` was stopped, if it was.
  std::optional<int> StoppedAt(const std::string& config) const;
  // Whether `config` was decided at `rung` (and how).
  std::optional<bool> Decision(const std::string& config, int rung) const;
  // The group mean at `rung` once every replicate reported it.
  std::optional<double> Mean(const std::string& config, int rung) const;
  // Whether `replicate` of `config` reported `rung`.
  bool Reported(const std::string& config, const std::string& replicate, int rung) const;
  // Every decision so far, in order.
  const std::vector<RungDecision>& decisions() const { return decisions_; }
  int rungs() const { return rungs_; }

 private:
  struct Config {
    std::set<std::string> replicates;
    std::map<int, std::map<std::string, double>> values;  // rung -> replicate -> value
    std::map<int, bool> decided;                          // rung -> promoted
  };
  // Decides `config` at its next rung when it can; true when it did.
  bool TryDecide(const std::string& name, Config& c, std::vector<RungDecision>* out);
  void Apply(const RungDecision& d);

  int rungs_;
  int64_t eta_;
  bool maximize_;
  std::vector<std::string> order_;
  std::map<std::string, Config> configs_;
  std::map<int, std::vector<double>> decided_means_;  // rung -> means in decision order
  std::vector<RungDecision> decisions_;
};

}  // namespace chromatune::search
