#include "experiments/search/asha.h"

#include <algorithm>
#include <functional>

namespace chromatune::search {

std::vector<int64_t> RungEpochs(const AshaSchedule& schedule) {
  std::vector<int64_t> out;
  if (schedule.min < 1 || schedule.eta < 2) return out;
  for (int64_t r = schedule.min; r < schedule.max; r *= schedule.eta) {
    out.push_back(r);
    if (r > schedule.max / schedule.eta) break;  // the next would pass max (or overflow)
  }
  return out;
}

bool Promotes(double value, const std::vector<double>& decided_before, int64_t eta, bool maximize) {
  std::vector<double> all = decided_before;
  all.push_back(value);
  const auto n = static_cast<int64_t>(all.size());
  const int64_t top = std::max<int64_t>(1, n / std::max<int64_t>(2, eta));
  if (maximize) {
    std::sort(all.begin(), all.end(), std::greater<double>());
    return value >= all[static_cast<size_t>(top - 1)];
  }
  std::sort(all.begin(), all.end());
  return value <= all[static_cast<size_t>(top - 1)];
}

PairedAsha::PairedAsha(int rungs, int64_t eta, bool maximize)
    : rungs_(rungs), eta_(eta), maximize_(maximize) {}

void PairedAsha::SetReplicates(const std::string& config, const std::set<std::string>& replicates) {
  auto [it, inserted] = configs_.try_emplace(config);
  if (inserted) order_.push_back(config);
  it->second.replicates = replicates;
}

bool PairedAsha::Record(const std::string& config, const std::string& replicate, int rung,
                        double value) {
  auto it = configs_.find(config);
  if (it == configs_.end() || it->second.replicates.count(replicate) == 0) return false;
  if (rung < 0 || rung > rungs_) return false;
  return it->second.values[rung].emplace(replicate, value).second;
}

void PairedAsha::DropReplicate(const std::string& config, const std::string& replicate) {
  auto it = configs_.find(config);
  if (it != configs_.end()) it->second.replicates.erase(replicate);
}

std::optional<double> PairedAsha::Mean(const std::string& config, int rung) const {
  auto it = configs_.find(config);
  if (it == configs_.end() || it->second.replicates.empty()) return std::nullopt;
  auto values = it->second.values.find(rung);
  if (values == it->second.values.end()) return std::nullopt;
  double sum = 0.0;
  for (const auto& r : it->second.replicates) {
    auto v = values->second.find(r);
    if (v == values->second.end()) return std::nullopt;  // the group is not complete yet
    sum += v->second;
  }
  return sum / static_cast<double>(it->second.replicates.size());
}

bool PairedAsha::TryDecide(const std::string& name, Config& c, std::vector<RungDecision>* out) {
  // The next rung to decide: the first undecided one, reachable only through promotions.
  int rung = 0;
  while (rung < rungs_) {
    auto d = c.decided.find(rung);
    if (d == c.decided.end()) break;
    if (!d->second) return false;  // stopped
    ++rung;
  }
  if (rung >= rungs_) return false;
  auto mean = Mean(name, rung);
  if (!mean) return false;
  const RungDecision d{name, rung, *mean, Promotes(*mean, decided_means_[rung], eta_, maximize_)};
  Apply(d);
  out->push_back(d);
  return true;
}

void PairedAsha::Apply(const RungDecision& d) {
  configs_[d.config].decided[d.rung] = d.promoted;
  decided_means_[d.rung].push_back(d.mean);
  decisions_.push_back(d);
}

std::vector<RungDecision> PairedAsha::DecideReady() {
  std::vector<RungDecision> out;
  // Configurations in declaration order, each as far as its reports allow; repeated while a
  // pass decided something (a decision changes the field the next ones are compared with).
  bool progress = true;
  while (progress) {
    progress = false;
    for (const std::string& name : order_) {
      while (TryDecide(name, configs_[name], &out)) progress = true;
    }
  }
  return out;
}

std::vector<RungDecision> PairedAsha::Report(const std::string& config,
                                             const std::string& replicate, int rung, double value) {
  Record(config, replicate, rung, value);
  return DecideReady();
}

void PairedAsha::Restore(const RungDecision& decision) {
  if (configs_.count(decision.config) == 0) {
    order_.push_back(decision.config);
    configs_[decision.config];
  }
  Apply(decision);
}

std::optional<int> PairedAsha::StoppedAt(const std::string& config) const {
  auto it = configs_.find(config);
  if (it == configs_.end()) return std::nullopt;
  for (const auto& [rung, promoted] : it->second.decided) {
    if (!promoted) return rung;
  }
  return std::nullopt;
}

std::optional<bool> PairedAsha::Decision(const std::string& config, int rung) const {
  auto it = configs_.find(config);
  if (it == configs_.end()) return std::nullopt;
  auto d = it->second.decided.find(rung);
  if (d == it->second.decided.end()) return std::nullopt;
  return d->second;
}

bool PairedAsha::Reported(const std::string& config, const std::string& replicate, int rung) const {
  auto it = configs_.find(config);
  if (it == configs_.end()) return false;
  auto values = it->second.values.find(rung);
  return values != it->second.values.end() && values->second.count(replicate) > 0;
}

}  // namespace chromatune::search
