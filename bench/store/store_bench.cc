// Store 100,000 trials: plan items -> CreateSweep (one transaction), then every trial
// leased and completed with its metrics through batched transitions (ResultStore::Apply,
// 1,000 per commit, as the coordinator batches), then ListOutcomes for the report.
// Goal (issue 2): each step under 1 s on the 2-core development machine.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/sha256.h"
#include "storage/result_store.h"

namespace {

// Wall and CPU (user + system) seconds of a phase: on a shared, loaded machine the CPU time
// says what the phase costs, the wall time what it took there and then.
struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();

  static double CpuSeconds() {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  std::pair<double, double> Elapsed() const {
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(),
            CpuSeconds() - cpu};
  }
};

int Fail(const chromatune::Status& s) {
  std::fprintf(stderr, "store_bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace chromatune;
  int64_t trials = 100000;
  std::string dir = "/tmp";
  int batch = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--trials") == 0) trials = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (std::strcmp(argv[i], "--batch") == 0) batch = std::atoi(argv[i + 1]);
  }
  const std::string path = dir + "/store_bench_" + std::to_string(getpid()) + ".db";

  // A plan like `sweep plan` makes: methods x shots x seeds x swept parameters.
  NewSweep sweep;
  sweep.name = "bench";
  sweep.user = "bench";
  sweep.spec_yaml = "name: bench\n";
  const char* methods[] = {"coop", "finetune", "linear-probe", "vpt", "cpt"};
  for (int64_t i = 0; i < trials; ++i) {
    nlohmann::json item = {{"index", i},
                           {"task", "classification"},
                           {"dataset", "fashion-mnist"},
                           {"backbone", "builtin:tiny-clip"},
                           {"method", methods[i % 5]},
                           {"shots", 1 << (i / 5 % 5)},
                           {"shot_unit", "per_class"},
                           {"data_seed", i / 25 % 3 + 1},
                           {"train_seed", 1},
                           {"params", {{"lr", 0.002}, {"ctx_len", 4 + i / 75}, {"epochs", 50}}},
                           {"resources", {{"ranks", 1}}}};
    item["key"] = Sha256Hex(item.dump());
    sweep.items.push_back(std::move(item));
  }

  auto store = ResultStore::Open(path, StoreMode::kReadWrite);
  if (!store.ok()) return Fail(store.status());
  Clock t0;
  auto sub = (*store)->CreateSweep(sweep);
  if (!sub.ok()) return Fail(sub.status());
  const auto create_s = t0.Elapsed();

  auto group = (*store)->RegisterWorkerGroup({0, "bench", 1, {"cpu"}, "0.1.0", "", 0, 0});
  if (!group.ok()) return Fail(group.status());
  TrialFilter filter;
  filter.sweep_id = sub->sweep_id;
  filter.limit = 0;
  auto rows = (*store)->ListTrials(filter);
  if (!rows.ok()) return Fail(rows.status());

  t0 = Clock();
  for (size_t start = 0; start < rows->size(); start += static_cast<size_t>(batch)) {
    std::vector<Transition> leases, completions;
    const size_t end = std::min(rows->size(), start + static_cast<size_t>(batch));
    for (size_t i = start; i < end; ++i) {
      leases.push_back(Transition::Lease((*rows)[i].id, *group, INT64_MAX));
    }
    auto leased = (*store)->Apply(std::move(leases));
    if (!leased.ok()) return Fail(leased.status());
    for (size_t i = start; i < end; ++i) {
      TrialResult r;
      r.metrics["accuracy"] = 0.5 + 0.001 * static_cast<double>(i % 100);
      r.metrics["loss"] = 1.0 / static_cast<double>(i + 1);
      r.wall_seconds = 1.0;
      completions.push_back(Transition::Complete((*rows)[i].id, 1, std::move(r)));
    }
    auto completed = (*store)->Apply(std::move(completions));
    if (!completed.ok()) return Fail(completed.status());
  }
  const auto complete_s = t0.Elapsed();

  t0 = Clock();
  auto outcomes = (*store)->ListOutcomes("bench");
  if (!outcomes.ok()) return Fail(outcomes.status());
  const auto outcomes_s = t0.Elapsed();
  int64_t with_metrics = 0;
  for (const TrialOutcome& o : *outcomes) with_metrics += o.metrics.size() == 2 ? 1 : 0;

  // Reopen: the coordinator's restart cost (quick_check + migration check) on this file.
  store->reset();
  t0 = Clock();
  auto reopened = ResultStore::Open(path, StoreMode::kReadWrite);
  if (!reopened.ok()) return Fail(reopened.status());
  const auto reopen_s = t0.Elapsed();
  reopened->reset();

  auto row = [](const char* what, std::pair<double, double> t) {
    std::printf("| %-34s | %8.3f | %8.3f |\n", what, t.first, t.second);
  };
  std::printf("| %-34s | %8s | %8s |\n", "100,000-trial store step", "wall s", "cpu s");
  std::printf("| %-34s | %8s | %8s |\n", "---", "---:", "---:");
  row("create sweep (one transaction)", create_s);
  row(("lease + complete (batches of " + std::to_string(batch) + ")").c_str(), complete_s);
  row("ListOutcomes", outcomes_s);
  row("reopen read-write (quick_check)", reopen_s);
  std::printf("trials: %lld, completed with 2 metrics: %lld, completion rate %.0f trials/s\n",
              static_cast<long long>(trials), static_cast<long long>(with_metrics),
              static_cast<double>(trials) / complete_s.first);
  std::remove(path.c_str());
  return with_metrics == trials ? 0 : 1;
}
