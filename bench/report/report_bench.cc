// Report 100,000 trials (issue 2 benchmark, goal < 1 s on the 2-core development machine).
//
// Synthetic but realistic outcomes of one random-search sweep, CoOp protocol: shots
// 1/2/4/8/16 x 10 data seeds x 5 train seeds for every setting of the trained methods
// (coop 150 settings, vpt 100, pad-prompt 100, linear-probe 46, finetune 4: 400 settings
// x 250 replicates = 100,000 trials) plus 5 zero-shot/ensemble trials. Accuracy =
// method base + 0.03·log2(shots) + data-seed effect N(0, 0.02) + train-seed noise
// N(0, 0.01), on a 10,000-item test set (multiples of 1e-4).
//
// Times: BuildReport (aggregation, statistics), rendering in each format, and with
// --store the report end to end through the result store (read-only open + ListOutcomes +
// build + render), after filling a new store at PATH with the same trials through the
// coordinator's write path (kept for `chromatune report` timings; the caller removes it).
// Usage: report_bench [--repeats N] [--store PATH]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "storage/finished_sweep.h"
#include "storage/report.h"
#include "storage/report_format.h"
#include "storage/report_store.h"
#include "storage/result_store.h"

namespace {

using chromatune::Status;
using nlohmann::json;

// Wall time and this process's CPU time of one measured step. The development machine is
// shared (other builds run beside the bench), so CPU time is reported next to wall time.
struct Timer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();
  double WallSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  }
  double CpuSeconds() const { return static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC; }
};

struct Samples {
  std::vector<double> wall;
  std::vector<double> cpu;
  void Add(const Timer& t) {
    wall.push_back(t.WallSeconds());
    cpu.push_back(t.CpuSeconds());
  }
};

int Fail(const Status& s) {
  std::fprintf(stderr, "report_bench: %s\n", s.ToString().c_str());
  return 1;
}

struct Trial {
  json item;  // plan item
  double accuracy = 0.0;
};

// The plan of the sweep described at the top, with each trial's synthetic accuracy.
std::vector<Trial> MakeSweep() {
  std::mt19937_64 rng(20261127);
  std::normal_distribution<double> data_effect(0.0, 0.02);
  std::normal_distribution<double> train_noise(0.0, 0.01);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Trial> trials;
  const auto add = [&](const std::string& method, int shots, int64_t data_seed, int64_t train_seed,
                       json params, double accuracy) {
    Trial t;
    t.item = {{"index", trials.size()},
              {"sweep", "bench-report"},
              {"task", "classification"},
              {"dataset", "fashion-mnist"},
              {"backbone", "builtin:tiny-clip"},
              {"method", method},
              {"shots", shots},
              {"shot_unit", "per_class"},
              {"data_seed", data_seed},
              {"train_seed", train_seed},
              {"params", std::move(params)},
              {"resources", {{"ranks", 1}}}};
    t.item["key"] = chromatune::Sha256Hex(t.item.dump());
    t.accuracy = std::round(std::clamp(accuracy, 0.0, 1.0) * 10000.0) / 10000.0;
    trials.push_back(std::move(t));
  };
  for (const char* tmpl : {"a photo of a {}.", "a {}.", "a picture of a {}.", "itap of a {}."}) {
    add("zero-shot", 0, 0, 0, {{"template", tmpl}}, 0.55 + 0.05 * unit(rng));
  }
  add("ensemble", 0, 0, 0, {{"templates", "builtin:clip-7"}}, 0.6);

  // Data-seed effects are shared by all methods: the support set is the same.
  std::vector<double> seed_effect(11);
  for (auto& e : seed_effect) e = data_effect(rng);
  struct MethodPlan {
    const char* name;
    int settings;
    double base;
  };
  const MethodPlan methods[] = {{"coop", 150, 0.62},
                                {"vpt", 100, 0.60},
                                {"pad-prompt", 100, 0.57},
                                {"linear-probe", 46, 0.58},
                                {"finetune", 4, 0.59}};
  const int epochs_by_shot[] = {50, 100, 100, 200, 200};
  for (const auto& m : methods) {
    for (int s = 0; s < m.settings; ++s) {
      json params;
      const std::string name = m.name;
      if (name == "coop") {
        params = {{"ctx_len", 1 + static_cast<int>(unit(rng) * 32)},
                  {"class_position", unit(rng) < 0.5 ? "end" : "middle"},
                  {"csc", false},
                  {"init", "a photo of a"},
                  {"lr", 0.002 * std::exp(unit(rng) - 0.5)}};
      } else if (name == "vpt") {
        params = {{"tokens", 1 + static_cast<int>(unit(rng) * 50)},
                  {"deep", unit(rng) < 0.5},
                  {"lr", 0.01 * std::exp(unit(rng) - 0.5)}};
      } else if (name == "pad-prompt") {
        params = {{"width", 1 + static_cast<int>(unit(rng) * 30)},
                  {"lr", 0.01 * std::exp(unit(rng) - 0.5)}};
      } else if (name == "linear-probe") {
        params = {{"lr", 0.01 * std::exp(unit(rng) - 0.5)}, {"weight_decay", 1e-4}};
      } else {
        params = {{"lr", 1e-5 * std::pow(10.0, s * 2.0 / 3.0)}, {"last_k_blocks", 0}};
      }
      const double setting_effect = 0.02 * (unit(rng) - 0.5);
      for (int k = 0; k < 5; ++k) {
        const int shots = 1 << k;
        params["epochs"] = epochs_by_shot[k];
        for (int64_t d = 1; d <= 10; ++d) {
          for (int64_t t = 1; t <= 5; ++t) {
            add(m.name, shots, d, t, params,
                m.base + setting_effect + 0.03 * k + seed_effect[d] + train_noise(rng));
          }
        }
      }
    }
  }
  return trials;
}

std::vector<chromatune::TrialOutcome> Outcomes(const std::vector<Trial>& trials) {
  std::vector<chromatune::TrialOutcome> out;
  out.reserve(trials.size());
  for (size_t i = 0; i < trials.size(); ++i) {
    const json& item = trials[i].item;
    chromatune::TrialOutcome o;
    o.trial_id = static_cast<int64_t>(i + 1);
    o.sweep = item["sweep"];
    o.task = item["task"];
    o.dataset = item["dataset"];
    o.method = item["method"];
    o.shots = item["shots"];
    o.params = item["params"];
    o.data_seed = item["data_seed"];
    o.train_seed = item["train_seed"];
    o.state = "done";
    o.metrics = {{"accuracy", trials[i].accuracy}};
    out.push_back(std::move(o));
  }
  return out;
}

// Fills a new store at `path` with the sweep, every trial done with its accuracy.
Status FillStore(const std::string& path, const std::vector<Trial>& trials) {
  using namespace chromatune;
  CT_ASSIGN_OR_RETURN(auto store, ResultStore::Open(path, StoreMode::kReadWrite));
  NewSweep sweep;
  sweep.name = "bench-report";
  sweep.user = "bench";
  sweep.spec_yaml = "name: bench-report\n";
  for (const auto& t : trials) sweep.items.push_back(t.item);
  return WriteFinishedSweep(*store, sweep, [&](int64_t index) {
    TrialResult result;
    result.metrics["accuracy"] = trials.at(static_cast<size_t>(index)).accuracy;
    return result;
  });
}

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace chromatune;
  int repeats = 5;
  std::string store_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--repeats") == 0) repeats = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--store") == 0) store_path = argv[i + 1];
  }
  const std::vector<Trial> trials = MakeSweep();
  const std::vector<TrialOutcome> outcomes = Outcomes(trials);

  Samples build;
  Report report;
  for (int r = 0; r < repeats; ++r) {
    const Timer timer;
    auto built = BuildReport(outcomes, {});
    build.Add(timer);
    if (!built.ok()) return Fail(built.status());
    report = std::move(*built);
  }
  std::printf("outcomes                          %zu\n", outcomes.size());
  std::printf("cells / paired comparisons        %zu / %zu\n", report.cells.size(),
              report.paired.size());
  std::printf("medians of %d runs: wall s / cpu s\n", repeats);
  std::printf("BuildReport                       %.3f / %.3f\n", Median(build.wall),
              Median(build.cpu));
  for (const char* name : {"table", "md", "csv", "json"}) {
    Samples render;
    size_t bytes = 0;
    for (int r = 0; r < repeats; ++r) {
      const Timer timer;
      bytes = RenderReport(report, *ParseReportFormat(name)).size();
      render.Add(timer);
    }
    std::printf("render %-5s                      %.3f / %.3f  (%zu bytes)\n", name,
                Median(render.wall), Median(render.cpu), bytes);
  }

  if (!store_path.empty()) {
    const std::string& path = store_path;
    const Timer fill;
    Status filled = FillStore(path, trials);
    if (!filled.ok()) return Fail(filled);
    std::printf("fill store (setup, not timed goal) %.3f / %.3f\n", fill.WallSeconds(),
                fill.CpuSeconds());
    Samples e2e;
    for (int r = 0; r < repeats; ++r) {
      const Timer timer;
      auto from_store = ReportFromStore(path, "bench-report", {});
      if (!from_store.ok()) return Fail(from_store.status());
      const size_t bytes = RenderReport(*from_store, ReportFormat::kTable).size();
      e2e.Add(timer);
      if (from_store->cells.size() != report.cells.size() || bytes == 0) {
        std::fprintf(stderr, "report_bench: the store gave %zu cells, expected %zu\n",
                     from_store->cells.size(), report.cells.size());
        return 1;
      }
    }
    std::printf("store -> report -> table          %.3f / %.3f\n", Median(e2e.wall),
                Median(e2e.cpu));
  }
  return 0;
}
