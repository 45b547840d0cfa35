#include "coordinator/search_driver.h"

#include <algorithm>

#include "common/log.h"
#include "experiments/search/tpe.h"

namespace chromatune::coordinator {

Result<RungResult> ParseRungResult(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object())
    return InvalidArgument(what + ": expected {\"rung\", \"epoch\", \"metrics\"}");
  RungResult r;
  if (!j.contains("rung") || !j["rung"].is_number_integer() || j["rung"].get<int64_t>() < 0 ||
      j["rung"].get<int64_t>() > 1000) {
    return InvalidArgument(what + ": field \"rung\": expected an integer in [0, 1000]");
  }
  r.rung = static_cast<int>(j["rung"].get<int64_t>());
  if (!j.contains("epoch") || !j["epoch"].is_number_integer() || j["epoch"].get<int64_t>() < 0) {
    return InvalidArgument(what + ": field \"epoch\": expected an integer >= 0");
  }
  r.epoch = j["epoch"].get<int64_t>();
  if (!j.contains("metrics") || !j["metrics"].is_object()) {
    return InvalidArgument(what + ": field \"metrics\": expected an object of numbers");
  }
  for (const auto& [name, value] : j["metrics"].items()) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      return InvalidArgument(what + ": metrics." + name + ": expected a finite number");
    }
  }
  r.metrics = j["metrics"];
  return r;
}

Result<SearchDriver::Sweep*> SearchDriver::Load(int64_t sweep_id) {
  auto cached = sweeps_.find(sweep_id);
  if (cached != sweeps_.end()) return &cached->second;
  CT_ASSIGN_OR_RETURN(auto trials, store_->ListSearchTrials(sweep_id));
  Sweep sweep;
  std::vector<int64_t> done;
  for (const SearchTrial& t : trials) {
    CT_ASSIGN_OR_RETURN(auto s, search::ItemSearchOf(nlohmann::json{{"search", t.search}}));
    if (!s) continue;
    Unit& unit = sweep.units[s->unit];
    if (!unit.asha) {
      unit.proto = *s;
      unit.asha = std::make_unique<search::PairedAsha>(static_cast<int>(s->rungs.size()),
                                                       s->schedule.eta, s->maximize);
    }
    if (unit.trials.count(s->config) == 0) {
      unit.configs.push_back(s->config);
      unit.slots[s->config] = s->slot;
    }
    unit.trials[s->config].push_back(t.trial_id);
    sweep.where[t.trial_id] = {s->unit, s->config};
    if (IsTerminal(t.state)) sweep.ended.insert(t.trial_id);
    if (t.state == TrialState::kDone) done.push_back(t.trial_id);
  }
  // Replicate groups: a trial that failed for good or was cancelled no longer counts.
  for (auto& [name, unit] : sweep.units) {
    auto& slots = unit.slots;  // a lambda may not capture a structured binding in C++17 (clang)
    std::stable_sort(unit.configs.begin(), unit.configs.end(),
                     [&slots](const auto& a, const auto& b) { return slots[a] < slots[b]; });
    for (const std::string& config : unit.configs) {
      std::set<std::string> replicates;
      for (int64_t id : unit.trials[config]) replicates.insert(std::to_string(id));
      unit.asha->SetReplicates(config, replicates);
    }
  }
  for (const SearchTrial& t : trials) {
    if (t.state == TrialState::kFailed || t.state == TrialState::kCancelled) {
      auto w = sweep.where.find(t.trial_id);
      if (w == sweep.where.end()) continue;
      sweep.units[w->second.first].asha->DropReplicate(w->second.second,
                                                       std::to_string(t.trial_id));
    }
  }
  CT_ASSIGN_OR_RETURN(auto suggestions, store_->ListSuggestions(sweep_id));
  for (const auto& s : suggestions) {
    auto unit = sweep.units.find(s.unit);
    if (unit != sweep.units.end()) unit->second.suggested[s.config] = s.params;
  }
  CT_ASSIGN_OR_RETURN(auto reports, store_->ListRungReports(sweep_id));
  for (const RungReport& r : reports) {
    std::string config;
    Unit* unit = UnitOf(sweep, r.trial_id, &config);
    if (unit != nullptr) unit->asha->Record(config, std::to_string(r.trial_id), r.rung, r.value);
  }
  // A done trial counts at every rung it has no result for (a trial reused from another
  // sweep, or a completion whose final value was not recorded before a crash) with its final
  // value: it ran the full schedule.
  for (int64_t id : done) {
    std::string config;
    Unit* unit = UnitOf(sweep, id, &config);
    if (unit == nullptr) continue;
    CT_ASSIGN_OR_RETURN(auto metrics, store_->GetMetrics(id));
    auto m = metrics.find(unit->proto.metric);
    if (m == metrics.end()) continue;
    for (int rung = 0; rung <= unit->asha->rungs(); ++rung) {
      unit->asha->Record(config, std::to_string(id), rung, m->second);
    }
  }
  CT_ASSIGN_OR_RETURN(auto decisions, store_->ListSearchDecisions(sweep_id));
  for (const auto& d : decisions) {
    auto unit = sweep.units.find(d.unit);
    if (unit != sweep.units.end())
      unit->second.asha->Restore({d.config, d.rung, d.mean, d.promoted});
  }
  return &(sweeps_[sweep_id] = std::move(sweep));
}

SearchDriver::Unit* SearchDriver::UnitOf(Sweep& sweep, int64_t trial_id, std::string* config) {
  auto w = sweep.where.find(trial_id);
  if (w == sweep.where.end()) return nullptr;
  *config = w->second.second;
  auto unit = sweep.units.find(w->second.first);
  return unit == sweep.units.end() ? nullptr : &unit->second;
}

Status SearchDriver::PrepareGrant(int64_t sweep_id, int64_t trial_id, nlohmann::json* item) {
  CT_ASSIGN_OR_RETURN(auto search, search::ItemSearchOf(*item));
  if (!search || !search->tpe()) return Status::Ok();
  CT_ASSIGN_OR_RETURN(Sweep * sweep, Load(sweep_id));
  std::string config;
  Unit* unit = UnitOf(*sweep, trial_id, &config);
  if (unit == nullptr) return Internal("trial " + std::to_string(trial_id) + ": not in its search");
  auto known = unit->suggested.find(config);
  if (known != unit->suggested.end()) {
    (*item)["params"] = known->second;
    return Status::Ok();
  }
  // The results so far, best first by the paired rule: each finished configuration's group
  // mean at the furthest rung it reached; running configurations are constant liars.
  std::vector<search::TpeObservation> done;
  std::vector<nlohmann::json> running;
  const int top = unit->asha->rungs();
  for (const std::string& c : unit->configs) {
    auto s = unit->suggested.find(c);
    if (s == unit->suggested.end()) continue;
    nlohmann::json values = nlohmann::json::object();
    for (const auto& d : unit->proto.space.dims)
      values[d.name] = s->second.value(d.name, nlohmann::json());
    bool finished = true;
    for (int64_t id : unit->trials[c]) finished &= sweep->ended.count(id) > 0;
    if (!finished) {
      running.push_back(std::move(values));
      continue;
    }
    const int level = unit->asha->StoppedAt(c).value_or(top);
    auto mean = unit->asha->Mean(c, level);
    if (!mean) continue;  // every replicate failed: no result
    done.push_back({std::move(values), level, unit->proto.maximize ? *mean : -*mean});
  }
  search::TpeOptions options;
  options.n_startup = unit->proto.n_startup;
  const nlohmann::json values = search::TpeSuggest(unit->proto.space, options, unit->proto.seed,
                                                   unit->slots[config], done, running);
  nlohmann::json params = item->value("params", nlohmann::json::object());
  for (const auto& [name, value] : values.items()) params[name] = value;
  SearchSuggestion suggestion{sweep_id, search->unit, config, params, 0};
  Status stored = store_->AddSuggestion(suggestion, unit->trials[config]);
  if (!stored.ok()) {
    Invalidate(sweep_id);  // reload what the store holds
    return stored;
  }
  unit->suggested[config] = params;
  (*item)["params"] = params;
  spdlog::info("coordinator: search {}: configuration {} suggested ({} results, {} running): {}",
               search->unit, config, done.size(), running.size(), values.dump());
  return Status::Ok();
}

Status SearchDriver::RecordValue(Sweep& sweep, int64_t trial_id, int rung, double value) {
  std::string config;
  Unit* unit = UnitOf(sweep, trial_id, &config);
  if (unit != nullptr) unit->asha->Record(config, std::to_string(trial_id), rung, value);
  return Status::Ok();
}

Status SearchDriver::Record(int64_t sweep_id, int64_t trial_id, int attempt,
                            const std::vector<RungResult>& rungs) {
  if (rungs.empty()) return Status::Ok();
  CT_ASSIGN_OR_RETURN(Sweep * sweep, Load(sweep_id));
  std::string config;
  Unit* unit = UnitOf(*sweep, trial_id, &config);
  if (unit == nullptr) return Status::Ok();  // not searched: nothing to record
  for (const RungResult& r : rungs) {
    const auto& epochs = unit->proto.rungs;
    if (r.rung >= static_cast<int>(epochs.size()) || epochs[r.rung] != r.epoch) {
      spdlog::warn("coordinator: trial {} reported rung {} at epoch {}, not one of its rungs",
                   trial_id, r.rung, r.epoch);
      continue;
    }
    auto value = r.metrics.find(unit->proto.metric);
    if (value == r.metrics.end() || !value->is_number()) {
      spdlog::warn("coordinator: trial {} rung {}: no \"{}\" among its metrics {}", trial_id,
                   r.rung, unit->proto.metric, r.metrics.dump());
      continue;
    }
    RungReport report;
    report.trial_id = trial_id;
    report.rung = r.rung;
    report.epoch = r.epoch;
    report.value = value->get<double>();
    report.metrics = r.metrics;
    report.attempt = attempt;
    CT_ASSIGN_OR_RETURN(bool added, store_->AddRungReport(report));
    if (added) CT_RETURN_IF_ERROR(RecordValue(*sweep, trial_id, r.rung, report.value));
  }
  return Status::Ok();
}

Status SearchDriver::RecordFinal(int64_t sweep_id, int64_t trial_id,
                                 const std::map<std::string, double>& metrics) {
  CT_ASSIGN_OR_RETURN(Sweep * sweep, Load(sweep_id));
  std::string config;
  Unit* unit = UnitOf(*sweep, trial_id, &config);
  if (unit == nullptr) return Status::Ok();
  sweep->ended.insert(trial_id);
  auto m = metrics.find(unit->proto.metric);
  if (m == metrics.end()) {
    spdlog::warn(
        "coordinator: trial {}: no \"{}\" among its final metrics: its group has no "
        "result for the search",
        trial_id, unit->proto.metric);
    return Drop(sweep_id, trial_id);
  }
  // The full run: its value at the top rung, and at any decision rung it did not report
  // (a trial too short to heartbeat, or one on a rank that reports only at the end).
  for (int rung = 0; rung <= unit->asha->rungs(); ++rung) {
    if (!unit->asha->Reported(config, std::to_string(trial_id), rung)) {
      CT_RETURN_IF_ERROR(RecordValue(*sweep, trial_id, rung, m->second));
    }
  }
  return Status::Ok();
}

Status SearchDriver::Drop(int64_t sweep_id, int64_t trial_id) {
  CT_ASSIGN_OR_RETURN(Sweep * sweep, Load(sweep_id));
  std::string config;
  Unit* unit = UnitOf(*sweep, trial_id, &config);
  if (unit == nullptr) return Status::Ok();
  sweep->ended.insert(trial_id);
  unit->asha->DropReplicate(config, std::to_string(trial_id));
  return Status::Ok();
}

Result<std::vector<int64_t>> SearchDriver::Decide(int64_t sweep_id) {
  CT_ASSIGN_OR_RETURN(Sweep * sweep, Load(sweep_id));
  std::vector<int64_t> stopped;
  for (auto& [name, unit] : sweep->units) {
    if (!unit.proto.asha) continue;
    for (const search::RungDecision& d : unit.asha->DecideReady()) {
      SearchDecisionRecord record;
      record.sweep_id = sweep_id;
      record.unit = name;
      record.config = d.config;
      record.rung = d.rung;
      record.epoch = unit.proto.rungs[d.rung];
      record.mean = d.mean;
      record.promoted = d.promoted;
      auto ids =
          store_->ApplySearchDecision(record, unit.trials[d.config], unit.proto.schedule.max);
      if (!ids.ok()) {
        Invalidate(sweep_id);  // the rows decide again on the next call
        return ids.status();
      }
      spdlog::info("coordinator: search {}: configuration {} {} at rung {} (epoch {}, mean {:.4f})",
                   name, d.config, d.promoted ? "promoted" : "stopped", d.rung, record.epoch,
                   d.mean);
      for (int64_t id : *ids) {
        sweep->ended.insert(id);
        stopped.push_back(id);
      }
    }
  }
  return stopped;
}

Result<bool> SearchDriver::Stopped(int64_t sweep_id, int64_t trial_id) {
  CT_ASSIGN_OR_RETURN(Sweep * sweep, Load(sweep_id));
  std::string config;
  Unit* unit = UnitOf(*sweep, trial_id, &config);
  return unit != nullptr && unit->asha->StoppedAt(config).has_value();
}

}  // namespace chromatune::coordinator
