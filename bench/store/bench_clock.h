// Wall and CPU (user + system) seconds of a benchmark phase: on a shared, loaded machine the
// CPU time says what the phase costs, the wall time what it took there and then.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <utility>

namespace chromatune::bench {

struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();

  static double CpuSeconds() {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  // {wall s, cpu s} since construction.
  std::pair<double, double> Elapsed() const {
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(),
            CpuSeconds() - cpu};
  }
};

}  // namespace chromatune::bench
