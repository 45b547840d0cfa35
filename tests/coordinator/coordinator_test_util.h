// Shared fixture pieces for coordinator tests: a temporary store, a settable clock and
// noop sweep files.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/result_store.h"

namespace chromatune::coordinator::testing {

// A unique empty directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("ct-coord-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A classification sweep of `trials` noop trials (train seeds 1..trials).
inline std::string NoopSweep(const std::string& name, int trials, const std::string& params = "",
                             int retries = 2, int ranks = 1, int priority = 0) {
  std::string seeds;
  for (int i = 1; i <= trials; ++i) seeds += (i > 1 ? ", " : "") + std::to_string(i);
  return "name: " + name +
         "\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
         "replicates: {data_seeds: [1], train_seeds: [" +
         seeds + "]}\nmethods:\n  - {name: noop" + (params.empty() ? "" : ", " + params) +
         "}\nretries: " + std::to_string(retries) +
         "\nresources: {ranks: " + std::to_string(ranks) +
         "}\npriority: " + std::to_string(priority) + "\n";
}

}  // namespace chromatune::coordinator::testing
