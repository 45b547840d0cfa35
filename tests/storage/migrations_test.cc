#include "storage/migrations.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "storage/result_store.h"
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
  auto rows = (*db)->Prepare("SELECT count(*), min(applied_ms) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE(rows->Step().ok());
  EXPECT_EQ(rows->ColumnInt(0), LatestSchemaVersion());
  EXPECT_EQ(rows->ColumnInt(1), 123);
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

}  // namespace
}  // namespace chromatune
