// `chromatune run SWEEP.yaml [--db FILE] [--workers N] [--ranks R] [--threads T]`: the
// embedded mode. A coordinator runs in this process on a free loopback port; N local worker
// groups of R ranks are launched with mpirun (and relaunched if one dies); a progress bar shows
// done/running/failed and an ETA; the report is printed at the end. Running the same
// command again resumes the sweep (finished trials are kept). With `--hostfile F` the groups'
// ranks go to the hosts of F (mpirun --hostfile); the coordinator then listens on
// `--listen HOST:PORT` with `--token-file` (docs/cluster.md).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "cli/command.h"
#include "common/log.h"
#include "coordinator/address_file.h"
#include "coordinator/server.h"
#include "coordinator/web_gate.h"
#include "dashboards/dashboard.h"
#include "experiments/sweep/plan.h"
#include "experiments/sweep/spec.h"
#include "storage/artifact_store.h"
#include "worker/gpu_packing.h"
#include "worker/local_launcher.h"

#if __has_include("storage/report_store.h") && __has_include("storage/report_format.h")
#include "storage/report_format.h"
#include "storage/report_store.h"
#define CHROMATUNE_HAS_REPORT 1
#endif

namespace chromatune::cli {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string file;
  std::string db;
  // Worker groups; 0: one per GPU (times trials_per_gpu, worker/gpu_packing.h) where GPUs
  // are visible and the device allows them, else 2.
  int workers = 0;
  int ranks = 1;
  int trials_per_gpu = 1;
  double lease_timeout_s = 30;
  bool progress = true;
  std::string listen = "127.0.0.1:0";  // beyond loopback needs token_file
  std::string token_file;
  std::string hostfile;  // mpirun --hostfile for every group
  // TLS of the coordinator (beyond loopback), and the CA file the workers verify it with.
  std::string tls_cert;
  std::string tls_key;
  std::string ca_file;
  bool insecure_plaintext = false;
  // LibTorch threads per rank; 0: this machine's cores shared out over all local ranks, so
  // workers x ranks x threads does not oversubscribe the cores (on 2 cores, 2 groups of one
  // rank get 1 thread each: two 1-thread trials beat two 2-thread trials fighting for cores).
  // With a hostfile the ranks run elsewhere and keep the worker's default.
  int threads = 0;
  // Passed to every worker rank (worker --device).
  std::string device = "auto";
  // A launched group that has not registered with the coordinator after this long is
  // stopped and launched again (counts as a restart): an mpirun whose remote daemons never
  // come up (unreachable host, ssh prompt) otherwise waits forever without a word.
  double register_timeout_s = 120;
};

// GPUs the local groups share out (0: none visible, a hostfile, or --device cpu).
int PackableGpus(const RunArgs& args) {
  if (!args.hostfile.empty() || args.device == "cpu" || args.device.rfind("cuda:", 0) == 0) {
    return 0;
  }
  return worker::VisibleGpuCount();
}

// The --threads a local worker rank gets (see RunArgs::threads); 0 = leave the default.
int ThreadsPerRank(const RunArgs& args) {
  if (args.threads > 0) return args.threads;
  if (!args.hostfile.empty()) return 0;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, args.workers * args.ranks));
}

// Writes `text` to a new file of mode 600 (a token); kIoError naming the path.
Status WriteSecret(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return IoError("cannot create " + path);
  const bool ok = fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok ? Status::Ok() : IoError("cannot write " + path);
}

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted.store(true); }

std::string Clock(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

// "[#########...........]  45/120 done, 4 running, 1 failed  ETA 0:42"
// `note`: the oldest running trial's progress note, shown while nothing has finished yet
// (the first minutes of a fresh sweep are its backbone's pretraining).
std::string ProgressLine(const nlohmann::json& c, int64_t finished_at_start, double elapsed_s,
                         const std::string& note) {
  const int64_t total = c.value("total", int64_t{0});
  const int64_t done = c.value("done", int64_t{0});
  const int64_t failed = c.value("failed", int64_t{0});
  const int64_t cancelled = c.value("cancelled", int64_t{0});
  const int64_t running = c.value("running", int64_t{0}) + c.value("leased", int64_t{0});
  const int64_t finished = done + failed + cancelled;
  constexpr int kWidth = 30;
  const int filled = total > 0 ? static_cast<int>(kWidth * finished / total) : kWidth;
  std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
  const int64_t progressed = finished - finished_at_start;
  const double eta = progressed > 0 ? elapsed_s / progressed * (total - finished) : -1;
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s %lld/%lld done, %lld running, %lld failed  %s  ETA %s",
                bar.c_str(), static_cast<long long>(done), static_cast<long long>(total),
                static_cast<long long>(running), static_cast<long long>(failed),
                Clock(elapsed_s).c_str(), finished == total ? "0:00" : Clock(eta).c_str());
  std::string line = buf;
  if (finished == 0 && running > 0 && !note.empty()) {
    constexpr size_t kMaxNote = 60;  // one terminal line, so "\r" redraws it in place
    line += "  (" + (note.size() > kMaxNote ? note.substr(0, kMaxNote - 3) + "..." : note) + ")";
  }
  return line;
}

struct Group {
  pid_t pid = 0;
  int restarts = 0;
  std::string label;  // `worker --label` of the current launch: "g<index>.<restarts>"
  std::chrono::steady_clock::time_point launched;
  bool registered = false;  // the coordinator knows the label
};

// SIGTERM to every group (mpirun forwards it to its ranks, which drain), then SIGKILL
// after `grace`.
void StopGroups(std::vector<Group>& groups, std::chrono::seconds grace) {
  for (auto& g : groups) {
    if (g.pid > 0) kill(g.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& g : groups) {
    while (g.pid > 0) {
      int status = 0;
      pid_t r = waitpid(g.pid, &status, WNOHANG);
      if (r == g.pid || r < 0) {
        g.pid = 0;
      } else if (std::chrono::steady_clock::now() > deadline) {
        kill(-g.pid, SIGKILL);
        kill(g.pid, SIGKILL);
        waitpid(g.pid, &status, 0);
        g.pid = 0;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

int RunEmbedded(const RunArgs& given) {
  RunArgs args = given;
  const int gpus = PackableGpus(args);
  if (args.workers == 0) {
    args.workers = gpus > 0 ? worker::PackedGroupCount(gpus, args.ranks, args.trials_per_gpu) : 2;
  }
  if (gpus > 0) {
    spdlog::info("run: {} worker group(s) of {} rank(s) on {} GPU(s), {} trial(s) per GPU",
                 args.workers, args.ranks, gpus, args.trials_per_gpu);
  }
  auto spec = ParseSweepFile(args.file);
  if (!spec.ok()) {
    std::cerr << spec.status().message() << "\n";
    return kExitBadInput;
  }
  for (const auto& warning : spec->warnings) std::cerr << "warning: " << warning << "\n";
  auto plan = PlanSweep(*spec);
  if (!plan.ok()) {
    std::cerr << args.file << ": " << plan.status().message() << "\n";
    return kExitBadInput;
  }
  // The progress bar is the interface here; routine coordinator logs would break it up.
  if (std::getenv("CHROMATUNE_LOG") == nullptr) spdlog::set_level(spdlog::level::warn);
  const std::string db = args.db.empty() ? "runs/" + spec->name + ".db" : args.db;
  std::error_code ec;
  if (fs::path(db).has_parent_path()) fs::create_directories(fs::path(db).parent_path(), ec);

  coordinator::ServerConfig config;
  config.db_path = db;
  Status parsed = coordinator::ParseListenAddress(args.listen, &config.host, &config.port);
  if (!parsed.ok()) {
    std::cerr << "chromatune run: " << parsed.message() << "\n";
    return kExitBadInput;
  }
  if (args.token_file.empty() && !coordinator::IsLoopbackHost(config.host)) {
    std::cerr << "chromatune run: --listen " << args.listen
              << " is not a loopback address: give --token-file (workers on other hosts "
                 "present its token)\n";
    return kExitBadInput;
  }
  config.token_file = args.token_file;
  config.insecure_loopback = args.token_file.empty();
  config.http.tls_cert_file = args.tls_cert;
  config.http.tls_key_file = args.tls_key;
  config.insecure_plaintext = args.insecure_plaintext;
  // The groups this run starts present a worker token of their own (the token file's users
  // may not lease, and a group's hosts need not see their tokens): made here, served beside
  // the token file's, written next to the store for the workers.
  std::string worker_token_file;
  if (!args.token_file.empty()) {
    const char* user = std::getenv("USER");
    const std::string token = coordinator::RandomHex(24);
    config.extra_tokens = std::string(user && *user ? user : "run") + " " + token + " worker\n";
    worker_token_file = db + ".worker-token";
    Status written = WriteSecret(worker_token_file, token + "\n");
    if (!written.ok()) {
      std::cerr << "chromatune run: " << written.message() << "\n";
      return kExitFailure;
    }
  }
  config.coordinator.lease_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(args.lease_timeout_s * 1000));
  config.extra_routes = &dashboards::MakeDashboardRoutes;
  auto server = coordinator::CoordinatorServer::Start(config);
  if (!server.ok()) {
    std::cerr << "chromatune run: " << server.status().ToString() << "\n";
    return kExitFailure;
  }
  const char* user_env = std::getenv("USER");
  // The embedded run's user is its machine's operator: an admin of its own coordinator.
  const coordinator::Identity operator_identity{user_env && *user_env ? user_env : "local",
                                                coordinator::Role::kAdmin};
  auto submitted =
      (*server)->coordinator().SubmitSweep(spec->yaml_text, args.file, operator_identity);
  if (!submitted.ok()) {
    std::cerr << "chromatune run: " << submitted.status().ToString() << "\n";
    return submitted.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
  }
  std::cerr << "sweep " << spec->name << ": " << submitted->value("trials", 0) << " trials ("
            << submitted->value("reused", 0) << " reused, " << submitted->value("unchanged", 0)
            << " already present); db " << db << ", arrays " << ArtifactStore::DefaultPathFor(db)
            << "\n";
  const std::string scheme = (*server)->http().tls() ? "https://" : "http://";
  const std::string address = coordinator::AdvertisedAddress(config.host, (*server)->port());
  std::cerr << "dashboard (while this runs): " << scheme << address << "/\n"
            << "afterwards: chromatune dashboard --db " << db << "\n";

  worker::GroupLaunch launch;
  launch.executable = fs::read_symlink("/proc/self/exe", ec).string();
  launch.args = {"worker", "--coordinator", ((*server)->http().tls() ? "https://" : "") + address};
  if (!worker_token_file.empty()) {
    launch.args.push_back("--token-file");
    launch.args.push_back(worker_token_file);
  }
  if (!args.ca_file.empty()) {
    launch.args.push_back("--ca");
    launch.args.push_back(args.ca_file);
  }
  if (const int threads = ThreadsPerRank(args); threads > 0) {
    launch.args.push_back("--threads");
    launch.args.push_back(std::to_string(threads));
  }
  launch.ranks = args.ranks;
  launch.hostfile = args.hostfile;
  launch.log_path = db + ".workers.log";
  launch.mpirun = worker::FindMpirun();

  struct sigaction on_int {};
  on_int.sa_handler = OnInterrupt;
  sigemptyset(&on_int.sa_mask);
  sigaction(SIGINT, &on_int, nullptr);
  sigaction(SIGTERM, &on_int, nullptr);

  std::vector<Group> groups(args.workers);
  // A group that dies (a crashing trial takes its ranks down) is started again, up to
  // this many times per group: enough for a sweep's retries, not a crash loop.
  constexpr int kMaxRestarts = 5;
  const auto start = std::chrono::steady_clock::now();
  int64_t finished_at_start = -1;
  const bool stderr_is_terminal = isatty(STDERR_FILENO) == 1;
  std::string last_line;
  int64_t last_finished = -1;
  auto last_printed = std::chrono::steady_clock::now();
  bool done = false;
  nlohmann::json counts;
  const auto register_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(args.register_timeout_s * 1000));
  while (!g_interrupted.load()) {
    const std::set<std::string> labels = (*server)->coordinator().GroupLabels();
    for (size_t i = 0; i < groups.size(); ++i) {
      auto& g = groups[i];
      if (g.pid > 0) {
        int status = 0;
        if (waitpid(g.pid, &status, WNOHANG) == g.pid) {
          g.pid = 0;
          ++g.restarts;
          spdlog::warn("run: worker group {} exited ({}); {}", i,
                       WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                           : "status " + std::to_string(WEXITSTATUS(status)),
                       g.restarts <= kMaxRestarts ? "starting it again" : "giving up on it");
        }
      }
      if (g.pid > 0 && !g.registered) {
        g.registered = labels.count(g.label) > 0;
        if (!g.registered && std::chrono::steady_clock::now() - g.launched > register_timeout) {
          ++g.restarts;
          spdlog::warn(
              "run: worker group {} has not registered {} s after its launch (mpirun may be "
              "waiting for daemons that never start on the hosts of --hostfile; see {}); {}",
              i, args.register_timeout_s, launch.log_path,
              g.restarts <= kMaxRestarts ? "stopping it and starting it again" : "giving up on it");
          std::vector<Group> stuck{g};
          StopGroups(stuck, std::chrono::seconds(5));
          g.pid = 0;
        }
      }
      if (g.pid == 0 && g.restarts <= kMaxRestarts) {
        g.label = "g" + std::to_string(i) + "." + std::to_string(g.restarts);
        worker::GroupLaunch labelled = launch;
        labelled.args.push_back("--label");
        labelled.args.push_back(g.label);
        labelled.args.push_back("--device");
        labelled.args.push_back(gpus > 0 ? worker::PackedDevice(static_cast<int>(i), gpus,
                                                                args.ranks, args.trials_per_gpu)
                                         : args.device);
        auto pid = worker::LaunchGroup(labelled);
        if (!pid.ok()) {
          std::cerr << "\nchromatune run: " << pid.status().message() << "\n";
          StopGroups(groups, std::chrono::seconds(10));
          return kExitFailure;
        }
        g.pid = *pid;
        g.launched = std::chrono::steady_clock::now();
        g.registered = false;
      }
    }
    auto report = (*server)->coordinator().SweepReport(spec->name);
    if (report.ok()) {
      counts = (*report)["counts"];
      const int64_t finished = counts.value("done", int64_t{0}) +
                               counts.value("failed", int64_t{0}) +
                               counts.value("cancelled", int64_t{0});
      if (finished_at_start < 0) finished_at_start = finished;
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (args.progress) {
        const std::string line =
            ProgressLine(counts, finished_at_start, elapsed, report->value("running_note", ""));
        if (stderr_is_terminal) {
          // Redrawn in place; padded so a shorter line covers the previous one.
          std::cerr << "\r" << line
                    << std::string(
                           last_line.size() > line.size() ? last_line.size() - line.size() : 0, ' ')
                    << std::flush;
          last_line = line;
        } else if (finished != last_finished ||
                   std::chrono::steady_clock::now() - last_printed > std::chrono::seconds(30)) {
          // A log file gets a line when a trial finishes, or every 30 s.
          std::cerr << line << "\n" << std::flush;
          last_finished = finished;
          last_printed = std::chrono::steady_clock::now();
        }
      }
      if (counts.value("finished", false)) {
        done = true;
        break;
      }
    }
    bool any_alive = false;
    for (const auto& g : groups) any_alive = any_alive || g.pid > 0;
    if (!any_alive) {
      std::cerr << "\nchromatune run: every worker group died or never registered, repeatedly; see "
                << launch.log_path << "\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (args.progress && stderr_is_terminal) std::cerr << "\n";
  StopGroups(groups, std::chrono::seconds(15));
  if (Status s = (*server)->coordinator().RetireGroups(); !s.ok()) {
    spdlog::warn("run: marking the stopped worker groups gone: {}", s.ToString());
  }
  (*server)->Stop();
  if (!done) {
    std::cerr << "chromatune run: stopped before the sweep finished; run the same command "
                 "again to resume it\n";
    return kExitFailure;
  }
#ifdef CHROMATUNE_HAS_REPORT
  auto rendered = ReportFromStore(db, spec->name, ReportOptions{});
  if (rendered.ok()) {
    std::cout << RenderReport(*rendered, ReportFormat::kTable);
  } else {
    std::cerr << "chromatune run: report: " << rendered.status().ToString() << "\n";
  }
#else
  std::cout << "sweep " << spec->name << " finished: " << counts.dump() << "\n";
#endif
  return counts.value("failed", int64_t{0}) > 0 ? kExitFailure : kExitOk;
}

// The options `run` and `demo` share: how the local worker groups are launched and whether
// the progress bar is drawn.
void AddLocalGroupOptions(CLI::App* app, RunArgs* args) {
  app->add_option("--workers", args->workers,
                  "worker groups to launch (default: one per visible GPU times --trials-per-gpu, "
                  "else 2)")
      ->check(CLI::Range(1, 256));
  app->add_option("--trials-per-gpu", args->trials_per_gpu,
                  "trials sharing one GPU when groups are packed onto GPUs (docs/gpu.md)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app->add_option("--ranks", args->ranks, "ranks per worker group (mpirun -np)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--threads", args->threads,
                  "LibTorch threads per rank (0: the cores divided among the local ranks)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app->add_option("--device", args->device,
                  "where trials compute: auto (a GPU when this rank has one), cpu, cuda (the local "
                  "rank's GPU) or cuda:N")
      ->capture_default_str();
  app->add_flag("!--no-progress", args->progress, "do not draw the progress bar");
}

const CommandRegistrar kRegisterRun("run", [](CLI::App& root) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* app = root.add_subcommand(
      "run", "Run a sweep on this machine: coordinator in process, local worker groups");
  app->add_option("sweep", args->file, "sweep file (YAML)")->required();
  app->add_option("--db", args->db, "result store (default runs/NAME.db)");
  AddLocalGroupOptions(app, args.get());
  app->add_option("--lease-timeout", args->lease_timeout_s,
                  "seconds without heartbeat after which a lease expires")
      ->check(CLI::Range(0.2, 3600.0))
      ->capture_default_str();
  app->add_option("--hostfile", args->hostfile,
                  "mpirun hostfile: the groups' ranks run on its hosts (rank 0 on the first)")
      ->check(CLI::ExistingFile);
  app->add_option("--listen", args->listen,
                  "HOST:PORT of the coordinator (workers on other hosts must reach it)")
      ->capture_default_str();
  app->add_option("--token-file", args->token_file,
                  "bearer tokens (\"USER TOKEN [ROLE]\" lines); required off loopback (the "
                  "workers get a worker token of their own, written to DB.worker-token)");
  auto* cert = app->add_option("--tls-cert", args->tls_cert,
                               "PEM certificate of the coordinator (required off loopback "
                               "unless --insecure-plaintext)")
                   ->check(CLI::ExistingFile);
  auto* key = app->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app->add_option("--ca", args->ca_file,
                  "CA file the workers verify the coordinator's certificate with (default: the "
                  "system's store)")
      ->needs(cert)
      ->check(CLI::ExistingFile);
  app->add_flag("--insecure-plaintext", args->insecure_plaintext,
                "allow a non-loopback --listen without TLS")
      ->excludes(cert);
  app->add_option("--register-timeout", args->register_timeout_s,
                  "seconds a launched worker group may take to register before it is stopped "
                  "and launched again")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  return CommandSetup{app, [args] { return RunEmbedded(*args); }};
});

// `chromatune demo`: the embedded default study, every experiments/sweeps/demo-*.yaml in
// name order, each through the embedded run, into one store: runs/demo.sqlite (rows) and
// runs/demo.h5 (arrays, the coordinator's default artifact file next to the store).
struct DemoArgs {
  std::string sweeps_dir = std::string(CHROMATUNE_SOURCE_DIR) + "/experiments/sweeps";
  RunArgs run;
};

int RunDemo(const DemoArgs& args) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(args.sweeps_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("demo-", 0) == 0 && entry.path().extension() == ".yaml") {
      files.push_back(entry.path().string());
    }
  }
  if (ec || files.empty()) {
    std::cerr << "chromatune demo: no demo-*.yaml sweep files in " << args.sweeps_dir
              << (ec ? " (" + ec.message() + ")" : "") << "\n";
    return kExitBadInput;
  }
  std::sort(files.begin(), files.end());
  int worst = kExitOk;
  for (const auto& file : files) {
    std::cerr << "== chromatune demo: " << file << "\n";
    RunArgs run = args.run;
    run.file = file;
    const int rc = RunEmbedded(run);
    if (rc == kExitBadInput) return rc;
    worst = std::max(worst, rc);
  }
  std::cout << "\nAll demo sweeps are in " << args.run.db << " (arrays and curves in "
            << ArtifactStore::DefaultPathFor(args.run.db) << "). Browse them with:\n"
            << "  chromatune dashboard --db " << args.run.db << "   (http://127.0.0.1:7322/)\n"
            << "Compare methods with: chromatune report --db " << args.run.db << "\n";
  return worst;
}

const CommandRegistrar kRegisterDemo("demo", [](CLI::App& root) {
  auto args = std::make_shared<DemoArgs>();
  args->run.db = "runs/demo.sqlite";
  CLI::App* app = root.add_subcommand(
      "demo", "Run the embedded default study (experiments/sweeps/demo-*.yaml) end to end");
  app->add_option("--sweeps", args->sweeps_dir, "folder of the demo-*.yaml sweep files")
      ->capture_default_str();
  app->add_option("--db", args->run.db, "result store")->capture_default_str();
  AddLocalGroupOptions(app, &args->run);
  return CommandSetup{app, [args] { return RunDemo(*args); }};
});

}  // namespace
}  // namespace chromatune::cli
