#include "storage/search_summary.h"

#include <set>

namespace chromatune {
namespace {

// The epochs of a full run: the ASHA schedule's max, else the trial's epochs parameter.
int64_t FullEpochs(const SearchTrial& t) {
  if (t.search.is_object() && t.search.contains("asha") && t.search["asha"].is_object()) {
    return t.search["asha"].value("max", int64_t{0});
  }
  return t.params.is_object() ? t.params.value("epochs", int64_t{0}) : 0;
}

}  // namespace

Result<std::optional<SearchSummary>> SummarizeSearch(ResultStore& store,
                                                     const std::vector<int64_t>& sweep_ids) {
  SearchSummary s;
  bool any = false;
  for (int64_t sweep_id : sweep_ids) {
    CT_ASSIGN_OR_RETURN(auto trials, store.ListSearchTrials(sweep_id));
    std::set<std::string> configs, stopped;
    for (const SearchTrial& t : trials) {
      any = true;
      const std::string config = t.search.value("config", std::string());
      configs.insert(config);
      const int64_t full = FullEpochs(t);
      s.epochs_if_full += full;
      if (t.state == TrialState::kDone) s.epochs_run += full;
      if (t.state != TrialState::kStopped) continue;
      stopped.insert(config);
      StoppedTrial st;
      st.trial_id = t.trial_id;
      st.sweep = t.sweep;
      st.method = t.method;
      st.shots = t.shots;
      st.params = t.params;
      st.data_seed = t.data_seed;
      st.train_seed = t.train_seed;
      if (t.info.is_object()) {
        st.rung = t.info.value("stopped_at_rung", 0);
        st.epochs_run = t.info.value("epochs_run", int64_t{0});
      }
      s.epochs_run += st.epochs_run;
      s.stopped.push_back(std::move(st));
    }
    s.configs += static_cast<int64_t>(configs.size());
    s.stopped_early += static_cast<int64_t>(stopped.size());
  }
  s.trials_stopped = static_cast<int64_t>(s.stopped.size());
  if (!any) return std::optional<SearchSummary>();
  return std::optional<SearchSummary>(std::move(s));
}

nlohmann::json SearchSummaryToJson(const SearchSummary& s) {
  nlohmann::json stopped = nlohmann::json::array();
  for (const auto& t : s.stopped) {
    stopped.push_back({{"trial_id", t.trial_id},
                       {"sweep", t.sweep},
                       {"method", t.method},
                       {"shots", t.shots},
                       {"params", t.params},
                       {"data_seed", t.data_seed},
                       {"train_seed", t.train_seed},
                       {"rung", t.rung},
                       {"epochs_run", t.epochs_run}});
  }
  return {{"configs", s.configs},
          {"stopped_early", s.stopped_early},
          {"trials_stopped", s.trials_stopped},
          {"epochs_run", s.epochs_run},
          {"epochs_if_full", s.epochs_if_full},
          {"stopped", stopped}};
}

}  // namespace chromatune
