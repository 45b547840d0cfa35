// The Coordinator test fixture: a store on a settable clock, a recording artifact sink, and
// helpers that register groups as worker "w", submit as user alice and lease.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "tests/coordinator/coordinator_test_util.h"

namespace chromatune::coordinator::testing {

using namespace std::chrono_literals;

const char* const kWorker = "w";
const Identity kAlice{"alice", Role::kUser};
const Identity kAdmin{"root", Role::kAdmin};

class RecordingSink final : public ArtifactSink {
 public:
  Status WriteTrial(const std::string& sweep, int64_t, int, const nlohmann::json&,
                    const TrialResult& result) override {
    ++writes;
    last_sweep = sweep;
    last_arrays = result.arrays.size();
    return fail;
  }
  int writes = 0;
  std::string last_sweep;
  size_t last_arrays = 0;
  Status fail;  // what WriteTrial returns
};

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.now_ms = [this] { return now_.load(); };
    auto store = ResultStore::Open(dir_.File("runs.db"), StoreMode::kReadWrite, so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    Reset();
  }
  // A fresh Coordinator on the same store; `tune` may change its options.
  void Reset(const std::function<void(CoordinatorOptions&)>& tune = nullptr) {
    CoordinatorOptions o;
    o.lease_timeout = 1000ms;
    o.retry_backoff_base = 500ms;
    o.now_ms = [this] { return now_.load(); };
    if (tune) tune(o);
    coordinator_ = std::make_unique<Coordinator>(store_.get(), &sink_, o);
  }
  int64_t Group(int ranks = 1, const std::string& user = kWorker) {
    WorkerGroupInfo info;
    info.ranks = ranks;
    info.host = "test";
    info.user = user;
    info.role = "worker";
    auto r = coordinator_->RegisterGroup(info);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->group_id : 0;
  }
  void Submit(const std::string& yaml) {
    auto s = coordinator_->SubmitSweep(yaml, "test.yaml", kAlice);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  std::vector<LeaseGrant> LeaseNow(int64_t group, int free_ranks = 1, int max_trials = 1) {
    std::vector<LeaseGrant> out;
    bool called = false;
    coordinator_->Lease(
        group, free_ranks, max_trials, 0,
        [&](Result<std::vector<LeaseGrant>> r) {
          called = true;
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          out = *r;
        },
        kWorker);
    EXPECT_TRUE(called);
    return out;
  }
  TrialCounts Counts(const std::string& sweep) { return store_->GetSweep(sweep)->counts; }
  // What the worker that holds `g` presents with its reports.
  static LeaseClaim Claim(const LeaseGrant& g) {
    return LeaseClaim{g.attempt, g.lease_id, kWorker};
  }
  TrialResult Metrics(double accuracy) {
    TrialResult r;
    r.metrics["accuracy"] = accuracy;
    return r;
  }

  TempDir dir_;
  std::atomic<int64_t> now_{1'000'000};
  RecordingSink sink_;
  std::unique_ptr<ResultStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
};

}  // namespace chromatune::coordinator::testing
