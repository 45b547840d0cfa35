#include "storage/sqlite_db.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace chromatune {
namespace {

int64_t CountRows(SqliteDb* db) {
  auto stmt = db->Prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE(stmt->Step().ok());
  return stmt->ColumnInt(0);
}

TEST(SqliteDbTest, TransactionRollsBackUnlessCommitted) {
  testing::ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"), false, 1000);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x INTEGER)").ok());
  {
    auto txn = SqliteTransaction::Begin(db->get());
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(CountRows(db->get()), 0);
  {
    auto txn = SqliteTransaction::Begin(db->get());
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(CountRows(db->get()), 1);
}

TEST(SqliteDbTest, BindsAndReadsEveryType) {
  testing::ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"), false, 1000);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE v(i INTEGER, d REAL, s TEXT, n TEXT)").ok());
  auto insert = (*db)->Prepare("INSERT INTO v VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE(insert->Bind(1, int64_t{1} << 40)
                  .Bind(2, 0.25)
                  .Bind(3, std::string("a\0b", 3))
                  .BindNull(4)
                  .Run()
                  .ok());
  auto select = (*db)->Prepare("SELECT i, d, s, n FROM v");
  ASSERT_TRUE(select.ok());
  auto row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnInt(0), int64_t{1} << 40);
  EXPECT_EQ(select->ColumnDouble(1), 0.25);
  EXPECT_EQ(select->ColumnText(2), std::string("a\0b", 3));
  EXPECT_TRUE(select->ColumnIsNull(3));
  EXPECT_FALSE(select->ColumnIsNull(0));
}

// BindView does not copy: the row holds what the view showed when the statement ran.
TEST(SqliteDbTest, BindViewStoresTheTextAtRunTime) {
  testing::ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"), false, 1000);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE v(s TEXT)").ok());
  auto insert = (*db)->Prepare("INSERT INTO v VALUES (?)");
  ASSERT_TRUE(insert.ok());
  std::string text = "first";
  for (const char* next : {"second", "third"}) {
    insert->Reset();
    ASSERT_TRUE(insert->BindView(1, text).Run().ok());
    text = next;  // after the run: the stored row keeps its value
  }
  auto select = (*db)->Prepare("SELECT group_concat(s, ',') FROM v");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(select->Step().ok());
  EXPECT_EQ(select->ColumnText(0), "first,second");
}

TEST(SqliteDbTest, NonDatabaseFileIsCorruptionNamingThePath) {
  testing::ScratchDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "this is not an SQLite database, just some text that is long enough "
                         "to fill the 100-byte SQLite header and then some more text.\n";
  auto db = SqliteDb::Open(path, false, 1000);
  ASSERT_TRUE(db.ok());
  Status s = (*db)->Exec("SELECT count(*) FROM sqlite_master");
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

TEST(SqliteDbTest, SyntaxErrorIsInternalWithTheStatement) {
  testing::ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"), false, 1000);
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("SELEC 1");
  ASSERT_FALSE(stmt.ok());
  EXPECT_NE(stmt.status().message().find("SELEC 1"), std::string::npos);
}

}  // namespace
}  // namespace chromatune
