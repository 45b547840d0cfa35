// plan_bench: parses and plans a sweep of 100,000 trials (CoOp grid: 50 ctx_len x 2
// class_position x 2 optimizer = 200 settings, x 5 shot counts x 20 data seeds x 5 train
// seeds) several times and prints the wall time of each phase (best and median).
//
// Usage: plan_bench [--repeats N] [--write-yaml FILE]
//   --write-yaml FILE  also writes the sweep file (for timing `chromatune sweep plan`).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"

namespace {

std::string Range(int first, int last) {
  std::string out = "[";
  for (int i = first; i <= last; ++i) out += (i > first ? ", " : "") + std::to_string(i);
  return out + "]";
}

std::string BenchYaml() {
  return "name: plan-bench\n"
         "task: classification\n"
         "dataset: fashion-mnist\n"
         "shots: [1, 2, 4, 8, 16]\n"
         "replicates: {data_seeds: " +
         Range(1, 20) + ", train_seeds: " + Range(1, 5) +
         "}\n"
         "methods:\n"
         "  - name: coop\n"
         "    ctx_len: " +
         Range(1, 50) +
         "\n"
         "    class_position: [end, front]\n"
         "    optimizer: [sgd, adam]\n"
         "    epochs: {1: 50, 2: 100, 4: 100, 8: 200, 16: 200}\n";
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Report(const char* phase, std::vector<double> times) {
  std::sort(times.begin(), times.end());
  std::printf("%-22s best %.3f s   median %.3f s   (%zu runs)\n", phase, times.front(),
              times[times.size() / 2], times.size());
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--write-yaml" && i + 1 < argc) {
      std::ofstream(argv[++i]) << BenchYaml();
    } else {
      std::fprintf(stderr, "usage: plan_bench [--repeats N] [--write-yaml FILE]\n");
      return 2;
    }
  }
  const std::string yaml = BenchYaml();
  std::vector<double> parse_times, plan_times, json_times, total_times;
  int64_t count = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto spec = chromatune::ParseSweep(yaml, "plan-bench.yaml");
    if (!spec.ok()) {
      std::fprintf(stderr, "%s\n", spec.status().message().c_str());
      return 1;
    }
    parse_times.push_back(Seconds(start));
    const auto plan_start = std::chrono::steady_clock::now();
    auto plan = chromatune::PlanSweep(*spec);
    if (!plan.ok()) {
      std::fprintf(stderr, "%s\n", plan.status().message().c_str());
      return 1;
    }
    plan_times.push_back(Seconds(plan_start));
    total_times.push_back(Seconds(start));
    const auto json_start = std::chrono::steady_clock::now();
    const std::string text = chromatune::PlanToJson(*plan).dump();
    json_times.push_back(Seconds(json_start));
    count = plan->count;
    if (r == 0)
      std::printf("trials: %lld, plan JSON: %zu bytes\n", static_cast<long long>(count),
                  text.size());
  }
  Report("parse", parse_times);
  Report("plan (expand + keys)", plan_times);
  Report("parse + plan", total_times);
  Report("plan to JSON text", json_times);
  return count == 100000 ? 0 : 1;
}
