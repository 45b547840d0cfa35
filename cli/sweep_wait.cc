// WaitForSweep (cli/submit.h): `chromatune submit --wait`, also what a Slurm coordinator job
// runs to know when its sweep is over.
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/command.h"
#include "cli/submit.h"

namespace chromatune::cli {
namespace {

// How often the status is polled, and how long the coordinator may stay unreachable (a
// restart takes seconds) before waiting is given up.
constexpr std::chrono::seconds kPollInterval{2};
constexpr std::chrono::seconds kUnreachableLimit{60};

std::string CountsLine(const std::string& sweep, const nlohmann::json& c) {
  return "sweep " + sweep + ": " + std::to_string(c.value("done", int64_t{0})) + "/" +
         std::to_string(c.value("total", int64_t{0})) + " done, " +
         std::to_string(c.value("leased", int64_t{0}) + c.value("running", int64_t{0})) +
         " running, " + std::to_string(c.value("failed", int64_t{0})) + " failed";
}

}  // namespace

int WaitForSweep(protocol::CoordinatorClient& client, const std::string& sweep) {
  auto last_ok = std::chrono::steady_clock::now();
  std::string last_line;
  while (true) {
    auto status = client.GetStatus();
    if (!status.ok()) {
      if (status.status().code() == StatusCode::kPermissionDenied) {
        std::cerr << "chromatune submit --wait: " << status.status().message() << "\n";
        return kExitFailure;
      }
      if (std::chrono::steady_clock::now() - last_ok > kUnreachableLimit) {
        std::cerr << "chromatune submit --wait: coordinator unreachable for "
                  << kUnreachableLimit.count() << " s: " << status.status().message() << "\n";
        return kExitFailure;
      }
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    last_ok = std::chrono::steady_clock::now();
    std::optional<nlohmann::json> found;
    for (const auto& s : status->value("sweeps", nlohmann::json::array())) {
      if (s.value("name", std::string()) == sweep) found = s;
    }
    if (!found) {
      std::cerr << "chromatune submit --wait: the coordinator has no sweep " << sweep << "\n";
      return kExitFailure;
    }
    const auto counts = found->value("counts", nlohmann::json::object());
    const std::string line = CountsLine(sweep, counts);
    if (line != last_line) std::cout << line << std::endl;
    last_line = line;
    if (found->value("cancelled", false)) {
      std::cerr << "chromatune submit --wait: sweep " << sweep << " was cancelled\n";
      return kExitFailure;
    }
    if (counts.value("finished", false)) {
      return counts.value("failed", int64_t{0}) > 0 ? kExitFailure : kExitOk;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace chromatune::cli
