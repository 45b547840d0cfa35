// Store 100,000 trials: plan items -> CreateSweep (one transaction), then every trial
// leased and completed with its metrics through batched transitions (ResultStore::Apply,
// 1,000 per commit), then ListOutcomes for the report, then reopening the store; and the
// same writes as plain SQLite (sqlite_floor.h), the floor under the first two steps.
// Goal (issue 2): each step under 1 s on the 2-core development machine.
// Usage: store_bench [--trials N] [--batch B] [--dir DIR]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/store/bench_clock.h"
#include "bench/store/sqlite_floor.h"
#include "common/sha256.h"
#include "storage/item_template.h"
#include "storage/result_store.h"

namespace {

using chromatune::bench::Clock;

int Fail(const chromatune::Status& s) {
  std::fprintf(stderr, "store_bench: %s\n", s.ToString().c_str());
  return 1;
}

// A plan like `sweep plan` makes (experiments/sweep/plan.cc: the same fields): methods x
// shots x seeds x swept parameters, replicates of one setting consecutive.
nlohmann::json PlanItems(int64_t trials) {
  nlohmann::json items = nlohmann::json::array();
  const char* methods[] = {"coop", "finetune", "linear-probe", "vpt", "cpt"};
  for (int64_t i = 0; i < trials; ++i) {
    nlohmann::json item = {{"sweep", "bench"},
                           {"index", i},
                           {"task", "classification"},
                           {"dataset", "fashion-mnist"},
                           {"backbone", "builtin:tiny-clip"},
                           {"method", methods[i / 15 % 5]},
                           {"shots", 1 << (i / 75 % 5)},
                           {"shot_unit", "per_class"},
                           {"data_seed", i % 3 + 1},
                           {"train_seed", i / 3 % 5 + 1},
                           {"params", {{"lr", 0.002}, {"ctx_len", 4 + i / 375}, {"epochs", 50}}},
                           {"resources", {{"ranks", 1}}},
                           {"retries", 2},
                           {"priority", 0},
                           {"rerun", false}};
    item["key"] = chromatune::Sha256Hex(item.dump());
    items.push_back(std::move(item));
  }
  return items;
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

  NewSweep sweep;
  sweep.name = "bench";
  sweep.user = "bench";
  sweep.spec_yaml = "name: bench\n";
  sweep.items = PlanItems(trials);

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
  std::remove(path.c_str());

  std::vector<bench::FloorRow> floor_rows;
  floor_rows.reserve(rows->size());
  ItemTemplates templates;
  std::shared_ptr<const ItemTemplate> previous;
  for (const nlohmann::json& item : sweep.items) {
    auto t = templates.TemplateOf(item);
    bench::FloorRow r;
    r.key = item["key"].get<std::string>();
    r.method = item["method"].get<std::string>();
    r.params_json = t->params_text;
    if (t != previous) r.template_json = t->text;
    r.template_fields = t->fields;
    r.index = item["index"].get<int64_t>();
    r.shots = item["shots"].get<int64_t>();
    r.data_seed = item["data_seed"].get<int64_t>();
    r.train_seed = item["train_seed"].get<int64_t>();
    floor_rows.push_back(std::move(r));
    previous = std::move(t);
  }
  const std::string floor_path = path + ".floor";
  auto floor = bench::MeasureSqliteFloor(floor_path, floor_rows, batch);
  std::remove(floor_path.c_str());
  if (!floor.ok()) return Fail(floor.status());

  auto row = [](const std::string& what, std::pair<double, double> t) {
    std::printf("| %-44s | %8.3f | %8.3f |\n", what.c_str(), t.first, t.second);
  };
  const std::string batches = " (batches of " + std::to_string(batch) + ")";
  std::printf("| %-44s | %8s | %8s |\n", (std::to_string(trials) + "-trial store step").c_str(),
              "wall s", "cpu s");
  std::printf("| %-44s | %8s | %8s |\n", "---", "---:", "---:");
  row("create sweep (one transaction)", create_s);
  row("lease + complete" + batches, complete_s);
  row("ListOutcomes", outcomes_s);
  row("reopen read-write (quick_check)", reopen_s);
  row("floor: plain SQLite insert, same rows", floor->create);
  row("floor: plain SQLite lease + complete" + batches, floor->complete);
  std::printf("trials: %lld, completed with 2 metrics: %lld, completion rate %.0f trials/s\n",
              static_cast<long long>(trials), static_cast<long long>(with_metrics),
              static_cast<double>(trials) / complete_s.first);
  return with_metrics == trials ? 0 : 1;
}
