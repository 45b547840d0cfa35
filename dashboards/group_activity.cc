#include "dashboards/group_activity.h"

#include <algorithm>
#include <map>

#include "storage/param_text.h"

namespace chromatune::dashboards {
namespace {

using json = nlohmann::json;

bool Started(const TrialRecord& t) { return t.progress > 0.0 || !t.progress_note.empty(); }

json TrialJson(const TrialRecord& t) {
  const json& item = t.item;
  return {{"id", t.id},
          {"sweep", t.sweep},
          {"method", item.value("method", "")},
          {"shots", item.value("shots", 0)},
          {"data_seed", item.value("data_seed", int64_t{0})},
          {"train_seed", item.value("train_seed", int64_t{0})},
          {"params_text", ParamsText(item.value("params", json::object()))},
          {"state", TrialStateName(t.state)},
          {"progress", t.progress},
          {"note", t.progress_note},
          {"heard_ms", t.updated_ms},
          {"started", Started(t)}};
}

}  // namespace

json GroupActivityJson(const std::vector<WorkerGroupInfo>& groups,
                       const std::vector<TrialRecord>& held) {
  std::map<int64_t, std::vector<const TrialRecord*>> by_group;
  for (const TrialRecord& t : held) by_group[t.worker_group].push_back(&t);
  json out = json::array();
  for (const WorkerGroupInfo& g : groups) {
    std::vector<const TrialRecord*>& trials = by_group[g.id];
    std::sort(trials.begin(), trials.end(), [](const TrialRecord* a, const TrialRecord* b) {
      if (Started(*a) != Started(*b)) return Started(*a);
      if (a->updated_ms != b->updated_ms) return a->updated_ms > b->updated_ms;
      return a->id < b->id;
    });
    int64_t heard = g.last_heartbeat_ms;
    json rows = json::array();
    for (const TrialRecord* t : trials) {
      heard = std::max(heard, t->updated_ms);
      rows.push_back(TrialJson(*t));
    }
    out.push_back({{"id", g.id},
                   {"host", g.host},
                   {"ranks", g.ranks},
                   {"state", g.state},
                   {"version", g.version},
                   {"last_heartbeat_ms", g.last_heartbeat_ms},
                   {"last_heard_ms", heard},
                   {"trials", std::move(rows)}});
  }
  return out;
}

Result<json> ReadGroupActivity(ResultStore& store, const std::vector<SweepInfo>& sweeps) {
  CT_ASSIGN_OR_RETURN(auto groups, store.ListWorkerGroups(/*include_gone=*/false));
  std::vector<TrialRecord> held;
  for (const SweepInfo& s : sweeps) {
    for (const auto& [state, count] : {std::pair{TrialState::kLeased, s.counts.leased},
                                       std::pair{TrialState::kRunning, s.counts.running}}) {
      if (count == 0) continue;
      CT_ASSIGN_OR_RETURN(auto trials, store.ListTrials(TrialFilter{s.id, state, 0, 0}));
      for (TrialRecord& t : trials) held.push_back(std::move(t));
    }
  }
  return GroupActivityJson(groups, held);
}

}  // namespace chromatune::dashboards
