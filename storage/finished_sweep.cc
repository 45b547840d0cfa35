#include "storage/finished_sweep.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace chromatune {

Status WriteFinishedSweep(
    ResultStore& store, const NewSweep& sweep,
    const std::function<TrialResult(int64_t index)>& result_of,
    const std::function<Status(const std::vector<TrialRecord>& batch)>& before_complete) {
  if (store.GetSweep(sweep.name).ok()) {
    return FailedPrecondition(store.path() + ": sweep \"" + sweep.name +
                              "\" exists already; use a new store or name");
  }
  CT_ASSIGN_OR_RETURN(SweepSubmission submission, store.CreateSweep(sweep));
  WorkerGroupInfo info;
  info.host = "synthetic";
  info.devices = {"cpu"};
  info.version = "synthetic";
  CT_ASSIGN_OR_RETURN(int64_t group, store.RegisterWorkerGroup(info));
  TrialFilter filter;
  filter.sweep_id = submission.sweep_id;
  filter.limit = 0;
  CT_ASSIGN_OR_RETURN(std::vector<TrialRecord> rows, store.ListTrials(filter));
  constexpr size_t kBatch = 1000;
  for (size_t start = 0; start < rows.size(); start += kBatch) {
    const std::vector<TrialRecord> batch(rows.begin() + start,
                                         rows.begin() + std::min(rows.size(), start + kBatch));
    std::vector<Transition> leases;
    for (const TrialRecord& t : batch) leases.push_back(Transition::Lease(t.id, group, INT64_MAX));
    CT_ASSIGN_OR_RETURN(auto leased, store.Apply(std::move(leases)));
    for (const auto& r : leased) CT_RETURN_IF_ERROR(r.status());
    if (before_complete) CT_RETURN_IF_ERROR(before_complete(batch));
    std::vector<Transition> completions;
    for (const TrialRecord& t : batch) {
      completions.push_back(Transition::Complete(t.id, 1, result_of(t.index)));
    }
    CT_ASSIGN_OR_RETURN(auto completed, store.Apply(std::move(completions)));
    for (const auto& r : completed) CT_RETURN_IF_ERROR(r.status());
  }
  return Status::Ok();
}

}  // namespace chromatune
