// Schema 4 (issue 18): sweep ownership on resubmission, the audit trail, worker group
// owners, and reuse drawing only on results completed under a worker lease.
#include <gtest/gtest.h>

#include "storage/result_store.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

using testing::PlanItem;

class OwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.now_ms = [this] { return now_; };
    auto store = ResultStore::Open(dir_.File("owners.db"), StoreMode::kReadWrite, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  NewSweep Sweep(const std::string& name, const std::string& user, const std::string& key,
                 int priority = 0) {
    NewSweep s;
    s.name = name;
    s.user = user;
    s.priority = priority;
    s.items = nlohmann::json::array({PlanItem(key, "noop", 1, 1)});
    return s;
  }
  int64_t GroupOf(const std::string& user, const std::string& role) {
    WorkerGroupInfo g = testing::Group("h", 1, {"cpu"});
    g.user = user;
    g.role = role;
    return *store_->RegisterWorkerGroup(g);
  }
  // Leases the sweep's only trial to `group` and completes it.
  void Finish(const std::string& sweep, int64_t group) {
    TrialFilter f;
    f.sweep_id = store_->GetSweep(sweep)->id;
    const int64_t id = store_->ListTrials(f)->front().id;
    auto lease = store_->Lease(id, group, now_ + 1000);
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    TrialResult r;
    r.metrics["accuracy"] = 0.9;
    ASSERT_TRUE(store_->Complete(id, lease->attempt, r).ok());
  }

  testing::ScratchDir dir_;
  int64_t now_ = 5000;
  std::unique_ptr<ResultStore> store_;
};

TEST_F(OwnersTest, AnotherUsersResubmissionIsRefusedAndChangesNothing) {
  ASSERT_TRUE(store_->CreateSweep(Sweep("s", "alice", "k1")).ok());
  auto takeover = store_->CreateSweep(Sweep("s", "bob", "k2", 99));
  ASSERT_FALSE(takeover.ok());
  EXPECT_EQ(takeover.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(takeover.status().message().find("owned by alice"), std::string::npos);
  auto info = store_->GetSweep("s");
  EXPECT_EQ(info->user, "alice");
  EXPECT_EQ(info->priority, 0);
  EXPECT_EQ(info->counts.total(), 1);
  NewSweep admin = Sweep("s", "root", "k1", 3);
  admin.may_resume_others = true;
  ASSERT_TRUE(store_->CreateSweep(admin).ok());
  EXPECT_EQ(store_->GetSweep("s")->user, "alice");  // the owner stays
  auto audit = store_->ListAudit(10, "s");
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].action, "priority");
  EXPECT_EQ((*audit)[0].user, "root");
  EXPECT_EQ((*audit)[0].detail, "priority 0 -> 3");
  EXPECT_EQ((*audit)[1].action, "resume");
  EXPECT_EQ((*audit)[2].action, "submit");
  EXPECT_EQ((*audit)[2].time_ms, 5000);
}

TEST_F(OwnersTest, CancelAndPriorityAreAuditedWithTheirAuthor) {
  ASSERT_TRUE(store_->CreateSweep(Sweep("s", "alice", "k1")).ok());
  now_ = 6000;
  ASSERT_TRUE(store_->SetSweepPriority("s", 7, "alice").ok());
  ASSERT_TRUE(store_->CancelSweep("s", "root").ok());
  EXPECT_EQ(store_->SetSweepPriority("nope", 1, "x").code(), StatusCode::kNotFound);
  auto audit = store_->ListAudit(2);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "cancel");
  EXPECT_EQ((*audit)[0].user, "root");
  EXPECT_EQ((*audit)[0].time_ms, 6000);
  EXPECT_EQ((*audit)[1].detail, "priority 0 -> 7");
  EXPECT_EQ(store_->GetSweep("s")->priority, 7);
}

TEST_F(OwnersTest, GroupsRememberTheirOwner) {
  const int64_t g = GroupOf("w", "worker");
  auto groups = store_->ListWorkerGroups(true);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].id, g);
  EXPECT_EQ((*groups)[0].user, "w");
  EXPECT_EQ((*groups)[0].role, "worker");
}

TEST_F(OwnersTest, ReuseDrawsOnlyOnResultsOfWorkerLeases) {
  ASSERT_TRUE(store_->CreateSweep(Sweep("by-user", "alice", "same")).ok());
  Finish("by-user", GroupOf("alice", "user"));  // not a worker lease
  auto first = store_->CreateSweep(Sweep("again", "bob", "same"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->reused, 0);
  Finish("again", GroupOf("w", "worker"));
  auto second = store_->CreateSweep(Sweep("third", "bob", "same"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->reused, 1);
  // A trial reused from a worker's result is a source too.
  auto fourth = store_->CreateSweep(Sweep("fourth", "carol", "same"));
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->reused, 1);
}

}  // namespace
}  // namespace chromatune
