// load_gen: N simulated worker groups (sim_group.h) against one coordinator, on one thread.
// Usage: load_gen --coordinator 127.0.0.1:PORT [--groups 1000] [--trial-ms 500]
//        [--heartbeat-s 10] [--warmup-s 15] [--seconds 60]
// Prints one JSON line: trials completed per second in the measurement window (after the
// warm-up), lease / heartbeat / complete(+lease) latency n, p50, p99 and max in ms, stale
// reports (a lease the coordinator had expired), errors. bench/load/run.sh drives it.
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/sim_group.h"
#include "coordinator/protocol/wire.h"

namespace {

namespace asio = boost::asio;
using chromatune::bench::GroupOptions;
using chromatune::bench::LoadStats;
using chromatune::bench::SimGroup;

struct Args {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int groups = 1000;
  int trial_ms = 500;
  int heartbeat_s = 10;
  int warmup_s = 15;
  int seconds = 60;
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--coordinator") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) return false;
      a->host = v.substr(0, colon);
      a->port = static_cast<unsigned short>(std::atoi(v.c_str() + colon + 1));
    } else if (k == "--groups") {
      a->groups = std::atoi(v.c_str());
    } else if (k == "--trial-ms") {
      a->trial_ms = std::atoi(v.c_str());
    } else if (k == "--heartbeat-s") {
      a->heartbeat_s = std::atoi(v.c_str());
    } else if (k == "--warmup-s") {
      a->warmup_s = std::atoi(v.c_str());
    } else if (k == "--seconds") {
      a->seconds = std::atoi(v.c_str());
    } else {
      return false;
    }
  }
  return a->port != 0 && a->groups > 0 && a->seconds > 0;
}

// One connection per group, and the process's other files: the soft limit up to the hard.
void RaiseFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::cerr << "usage: load_gen --coordinator HOST:PORT [--groups N] [--trial-ms MS] "
                 "[--heartbeat-s S] [--warmup-s S] [--seconds S]\n";
    return 2;
  }
  RaiseFileLimit();
  asio::io_context ioc;
  GroupOptions options;
  options.coordinator = {asio::ip::make_address(args.host), args.port};
  options.trial = std::chrono::milliseconds(args.trial_ms);
  options.heartbeat = std::chrono::seconds(args.heartbeat_s);
  chromatune::TrialResult result;
  result.metrics["accuracy"] = 0.5;
  result.wall_seconds = args.trial_ms / 1000.0;
  options.result = chromatune::protocol::EncodeResult(result);

  LoadStats stats;
  std::vector<std::shared_ptr<SimGroup>> groups;
  // Groups start 2 ms apart: a thousand connects at once would overflow the listen backlog.
  asio::steady_timer starter(ioc);
  std::function<void(int)> start_next = [&](int i) {
    if (i >= args.groups) return;
    groups.push_back(std::make_shared<SimGroup>(ioc, i, options, &stats));
    groups.back()->Start();
    starter.expires_after(std::chrono::milliseconds(2));
    starter.async_wait([&, i](boost::system::error_code ec) {
      if (!ec) start_next(i + 1);
    });
  };
  start_next(0);

  asio::steady_timer window(ioc);
  std::chrono::steady_clock::time_point began;
  window.expires_after(std::chrono::seconds(args.warmup_s));
  window.async_wait([&](boost::system::error_code) {
    stats.measuring = true;
    began = std::chrono::steady_clock::now();
    window.expires_after(std::chrono::seconds(args.seconds));
    window.async_wait([&](boost::system::error_code) {
      stats.measuring = false;
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      rusage usage{};
      getrusage(RUSAGE_SELF, &usage);
      const double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
      nlohmann::json out = {{"groups", args.groups},
                            {"load_gen_cpu_s", cpu},
                            {"registered", stats.registered},
                            {"trial_ms", args.trial_ms},
                            {"window_s", s},
                            {"completed", stats.completed},
                            {"trials_per_s", stats.completed / s},
                            {"lease", stats.lease.Summary()},
                            {"heartbeat", stats.heartbeat.Summary()},
                            {"complete_and_lease", stats.complete.Summary()},
                            {"stale_reports", stats.stale},
                            {"errors", stats.errors},
                            {"last_error", stats.last_error.substr(0, 300)}};
      std::cout << out.dump() << std::endl;
      ioc.stop();
    });
  });
  ioc.run();
  return 0;
}
