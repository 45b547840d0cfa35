#include "storage/migrations.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "storage/result_store.h"
#include "storage/trial_key_hash.h"
#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MigrationsTest, FreshDatabaseMigratesToLatestOnceAndRecordsIt) {
  testing::ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"), false, 1000);
  ASSERT_TRUE(db.ok());
  auto before = ReadSchemaVersion(db->get());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0);
  ASSERT_TRUE(Migrate(db->get(), 123).ok());
  ASSERT_TRUE(Migrate(db->get(), 456).ok());  // idempotent
  auto after = ReadSchemaVersion(db->get());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, LatestSchemaVersion());
  // Versions may have gaps while branches land (8 before 7): each recorded once, the latest last.
  auto rows = (*db)->Prepare("SELECT max(version), min(applied_ms) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE(rows->Step().ok());
  EXPECT_EQ(rows->ColumnInt(0), LatestSchemaVersion());
  EXPECT_EQ(rows->ColumnInt(1), 123);
}

// Readers outside the binary (python/chromatune) check meta.reader_version; the latest
// migration must leave the value this binary states, on new and on upgraded files.
TEST(MigrationsTest, MetaHoldsTheReaderVersionOnNewAndUpgradedFiles) {
  testing::ScratchDir dir;
  for (int from : {0, 4}) {
    const std::string path = dir.File("r" + std::to_string(from) + ".db");
    auto db = SqliteDb::Open(path, false, 1000);
    ASSERT_TRUE(db.ok());
    if (from > 0) {
      ASSERT_TRUE(MigrateTo(db->get(), from, 1).ok());
    }
    ASSERT_TRUE(Migrate(db->get(), 2).ok());
    auto meta = (*db)->Prepare("SELECT value FROM meta WHERE key = 'reader_version'");
    ASSERT_TRUE(meta.ok());
    auto row = meta->Step();
    ASSERT_TRUE(row.ok() && *row) << "no reader_version after migrating from " << from;
    EXPECT_EQ(meta->ColumnText(0), std::to_string(kReaderVersion));
  }
}

TEST(MigrationsTest, NewerDatabaseIsRefusedAndLeftUntouched) {
  testing::ScratchDir dir;
  const std::string path = dir.File("a.db");
  {
    auto store = ResultStore::Open(path, StoreMode::kReadWrite);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  {
    auto db = SqliteDb::Open(path, false, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)").ok());
  }
  const std::string bytes = ReadAll(path);
  for (StoreMode mode : {StoreMode::kReadWrite, StoreMode::kReadOnly}) {
    auto store = ResultStore::Open(path, mode);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(store.status().message().find("schema version 999"), std::string::npos)
        << store.status().message();
    EXPECT_NE(store.status().message().find("upgrade chromatune"), std::string::npos);
    EXPECT_NE(store.status().message().find(path), std::string::npos);
  }
  EXPECT_EQ(ReadAll(path), bytes);
}

TEST(MigrationsTest, ForeignSqliteDatabaseIsRefused) {
  testing::ScratchDir dir;
  const std::string path = dir.File("other.db");
  {
    auto db = SqliteDb::Open(path, false, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("CREATE TABLE photos(id INTEGER)").ok());
  }
  const std::string bytes = ReadAll(path);
  auto store = ResultStore::Open(path, StoreMode::kReadWrite);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not a chromatune result store"), std::string::npos);
  EXPECT_EQ(ReadAll(path), bytes);
}

TEST(MigrationsTest, Version1StoreUpgradesWithEveryItemAsItWas) {
  testing::ScratchDir dir;
  const std::string path = dir.File("v1.db");
  nlohmann::json full = testing::PlanItem("k1", "coop", 4, 7);
  full["index"] = 5;
  nlohmann::json bare = {{"key", "k2"}, {"method", "zero-shot"}, {"shots", 0}, {"x", 1.0}};
  {
    auto db = SqliteDb::Open(path, false, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(MigrateTo(db->get(), 1, 100).ok());
    auto version = ReadSchemaVersion(db->get());
    ASSERT_TRUE(version.ok());
    ASSERT_EQ(*version, 1);
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO users VALUES ('u', 0);"
                           "INSERT INTO sweeps(id, name, user, spec_yaml, created_ms, updated_ms) "
                           "VALUES (1, 's', 'u', '', 0, 0);"
                           "INSERT INTO trials(id, sweep_id, idx, key, state, task, dataset, "
                           "method, shots, data_seed, train_seed, ranks, params_json, "
                           "created_ms, updated_ms) VALUES "
                           "(1, 1, 5, 'k1', 'pending', 'classification', 'fashion-mnist', "
                           "'coop', 4, 7, 1, 1, '{}', 0, 0), "
                           "(2, 1, 1, 'k2', 'pending', '', '', 'zero-shot', 0, 0, 0, 1, '{}', "
                           "0, 0);")
                    .ok());
    auto insert = (*db)->Prepare("INSERT INTO trial_items(trial_id, item_json) VALUES (?, ?)");
    ASSERT_TRUE(insert.ok());
    ASSERT_TRUE(insert->Bind(1, int64_t{1}).Bind(2, full.dump()).Run().ok());
    insert->Reset();
    ASSERT_TRUE(insert->Bind(1, int64_t{2}).Bind(2, bare.dump()).Run().ok());
  }
  auto store = ResultStore::Open(path, StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->schema_version(), LatestSchemaVersion());
  EXPECT_EQ((*store)->GetTrial(1)->item.dump(), full.dump());
  EXPECT_EQ((*store)->GetTrial(2)->item.dump(), bare.dump());
  // New trials after the upgrade get templates of their own.
  NewSweep next;
  next.name = "t";
  next.user = "u";
  next.items = nlohmann::json::array({testing::PlanItem("k3", "coop", 8, 1)});
  auto sub = (*store)->CreateSweep(next);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  TrialFilter all;
  auto trials = (*store)->ListTrials(all);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 3u);
  EXPECT_EQ((*trials)[0].item.dump(), full.dump());
  EXPECT_EQ((*trials)[2].item.dump(), next.items[0].dump());
}

// Version 2 -> 3 rebuilds the trials table (drops UNIQUE (sweep_id, key), adds key_hash):
// every row, its attempts and metrics and the reuse link survive, and a finished trial is
// still found by its key afterwards.
TEST(MigrationsTest, Version2StoreUpgradesKeepingEveryRowAndReuse) {
  testing::ScratchDir dir;
  const std::string path = dir.File("v2.db");
  const nlohmann::json item = testing::PlanItem("k-done", "coop", 4, 1);
  {
    auto db = SqliteDb::Open(path, false, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(MigrateTo(db->get(), 2, 100).ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA foreign_keys = ON").ok());
    auto insert =
        (*db)->Prepare("INSERT INTO item_templates(id, item_json, fields) VALUES (1, ?, 0)");
    ASSERT_TRUE(insert.ok());
    ASSERT_TRUE(insert->Bind(1, item.dump()).Run().ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO users VALUES ('u', 0);"
                           "INSERT INTO sweeps(id, name, user, spec_yaml, created_ms, updated_ms) "
                           "VALUES (1, 's', 'u', '', 0, 0);"
                           "INSERT INTO trials(id, sweep_id, idx, key, state, task, dataset, "
                           "method, shots, data_seed, train_seed, ranks, params_json, attempt, "
                           "wall_seconds, created_ms, updated_ms, template_id) VALUES "
                           "(1, 1, 0, 'k-done', 'done', 'classification', 'fashion-mnist', "
                           "'coop', 4, 1, 1, 1, '{}', 1, 2.5, 0, 0, 1), "
                           "(2, 1, 1, 'k-pending', 'pending', 'classification', "
                           "'fashion-mnist', 'coop', 4, 2, 1, 1, '{}', 0, 0, 0, 0, 1);"
                           "INSERT INTO trials(id, sweep_id, idx, key, state, task, dataset, "
                           "method, shots, data_seed, train_seed, ranks, params_json, "
                           "reused_from, created_ms, updated_ms, template_id) VALUES "
                           "(3, 1, 2, 'k-copy', 'done', '', '', 'coop', 4, 1, 1, 1, '{}', 1, "
                           "0, 0, 1);"
                           "INSERT INTO attempts(trial_id, attempt, lease_id, worker_group, "
                           "leased_ms, outcome) VALUES (1, 1, 'L1', 7, 5, 'done');"
                           "INSERT INTO metrics VALUES (1, 'accuracy', 0.75);")
                    .ok());
  }
  auto store = ResultStore::Open(path, StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->schema_version(), LatestSchemaVersion());
  store->reset();

  {
    auto db = SqliteDb::Open(path, true, 1000);
    ASSERT_TRUE(db.ok());
    auto rows = (*db)->Prepare(
        "SELECT id, key, key_hash, state, coalesce(reused_from, 0), wall_seconds FROM trials "
        "ORDER BY id");
    ASSERT_TRUE(rows.ok());
    const std::vector<std::string> keys = {"k-done", "k-pending", "k-copy"};
    const std::vector<std::string> states = {"done", "pending", "done"};
    for (size_t i = 0; i < keys.size(); ++i) {
      auto row = rows->Step();
      ASSERT_TRUE(row.ok() && *row);
      EXPECT_EQ(rows->ColumnInt(0), static_cast<int64_t>(i + 1));
      EXPECT_EQ(rows->ColumnText(1), keys[i]);
      EXPECT_EQ(rows->ColumnInt(2), TrialKeyHash(keys[i]));
      EXPECT_EQ(rows->ColumnText(3), states[i]);
      EXPECT_EQ(rows->ColumnInt(4), i == 2 ? 1 : 0);
    }
    auto end = rows->Step();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(*end);
    rows->Reset();
    auto children = (*db)->Prepare(
        "SELECT (SELECT count(*) FROM attempts WHERE trial_id = 1 AND lease_id = 'L1'), "
        "(SELECT value FROM metrics WHERE trial_id = 1 AND name = 'accuracy'), "
        "(SELECT count(*) FROM sqlite_master WHERE name = 'trials_v3'), "
        "(SELECT count(*) FROM pragma_foreign_key_check)");
    ASSERT_TRUE(children.ok());
    ASSERT_TRUE(children->Step().ok());
    EXPECT_EQ(children->ColumnInt(0), 1);
    EXPECT_EQ(children->ColumnDouble(1), 0.75);
    EXPECT_EQ(children->ColumnInt(2), 0);
    EXPECT_EQ(children->ColumnInt(3), 0);
  }  // statements before their connection

  // The finished trial is found by its key (through key_hash) and reused with its metrics.
  store = ResultStore::Open(path, StoreMode::kReadWrite);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  NewSweep next;
  next.name = "t";
  next.user = "u";
  next.items = nlohmann::json::array({item, testing::PlanItem("k-new", "coop", 4, 2)});
  auto sub = (*store)->CreateSweep(next);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(sub->reused, 1);
  EXPECT_EQ(sub->created, 1);
  // Foreign keys are enforced again after the rebuild.
  auto raw = SqliteDb::Open(path, false, 1000);
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->Exec("PRAGMA foreign_keys = ON").ok());
  EXPECT_FALSE((*raw)->Exec("INSERT INTO metrics VALUES (999, 'accuracy', 1)").ok());
}

}  // namespace
}  // namespace chromatune

namespace chromatune {
namespace {

// Schema 4 (issue 18) is additive: groups registered under schema 3 keep their rows, with
// user and role '' (their results stay reusable), and the audit table starts empty.
TEST(MigrationsTest, GroupOwnersAndAuditAreAddedToAnOlderStore) {
  testing::ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("v3.db"), false, 1000);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(MigrateTo(db->get(), 3, 1).ok());
  ASSERT_TRUE((*db)
                  ->Exec("INSERT INTO worker_groups(host, ranks, devices_json, version, state, "
                         "registered_ms, last_heartbeat_ms) VALUES ('old', 2, '[]', 'v', "
                         "'active', 1, 1)")
                  .ok());
  ASSERT_TRUE(MigrateTo(db->get(), 4, 2).ok());
  auto row = (*db)->Prepare(
      "SELECT host, user, role, (SELECT count(*) FROM audit) "
      "FROM worker_groups");
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(*row->Step());
  EXPECT_EQ(row->ColumnText(0), "old");
  EXPECT_EQ(row->ColumnText(1), "");
  EXPECT_EQ(row->ColumnText(2), "");
  EXPECT_EQ(row->ColumnInt(3), 0);
}

}  // namespace
}  // namespace chromatune
