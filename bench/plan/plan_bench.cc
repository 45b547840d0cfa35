// plan_bench: parses and plans a sweep of 100,000 trials (CoOp grid: 50 ctx_len x 2
// class_position x 2 optimizer = 200 settings, x 5 shot counts x 20 data seeds x 5 train
// seeds) several times and prints the wall time and the CPU time of each phase (best and
// median). On a shared, loaded machine the CPU time is the figure to compare: the program is
// single-threaded, so on an idle machine its wall time equals its CPU time.
//
// Usage: plan_bench [--repeats N] [--write-yaml FILE]
//   --write-yaml FILE  also writes the sweep file (for timing `chromatune sweep plan`).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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
         "    optimizer: [sgd, adamw]\n"
         "    epochs: {1: 50, 2: 100, 4: 100, 8: 200, 16: 200}\n";
}

// Wall and CPU seconds since construction.
class Timer {
 public:
  Timer() : wall_(std::chrono::steady_clock::now()), cpu_(std::clock()) {}
  double Wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
  }
  double Cpu() const { return static_cast<double>(std::clock() - cpu_) / CLOCKS_PER_SEC; }

 private:
  std::chrono::steady_clock::time_point wall_;
  std::clock_t cpu_;
};

struct Times {
  std::vector<double> wall;
  std::vector<double> cpu;
  void Add(const Timer& t) {
    cpu.push_back(t.Cpu());
    wall.push_back(t.Wall());
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Report(const char* phase, const Times& t) {
  std::printf("%-22s cpu: best %.3f s, median %.3f s   wall: best %.3f s, median %.3f s\n", phase,
              *std::min_element(t.cpu.begin(), t.cpu.end()), Median(t.cpu),
              *std::min_element(t.wall.begin(), t.wall.end()), Median(t.wall));
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
  Times parse_times, plan_times, json_times, total_times;
  int64_t count = 0;
  for (int r = 0; r < repeats; ++r) {
    const Timer start;
    auto spec = chromatune::ParseSweep(yaml, "plan-bench.yaml");
    if (!spec.ok()) {
      std::fprintf(stderr, "%s\n", spec.status().message().c_str());
      return 1;
    }
    parse_times.Add(start);
    const Timer plan_start;
    auto plan = chromatune::PlanSweep(*spec);
    if (!plan.ok()) {
      std::fprintf(stderr, "%s\n", plan.status().message().c_str());
      return 1;
    }
    plan_times.Add(plan_start);
    total_times.Add(start);
    const Timer json_start;
    const std::string text = chromatune::PlanJsonText(*plan);
    json_times.Add(json_start);
    count = plan->count;
    if (r == 0) {
      std::printf("trials: %lld, plan JSON: %zu bytes\n", static_cast<long long>(count),
                  text.size());
    }
  }
  Report("parse", parse_times);
  Report("plan (expand + keys)", plan_times);
  Report("parse + plan", total_times);
  Report("plan to JSON text", json_times);
  return count == 100000 ? 0 : 1;
}
