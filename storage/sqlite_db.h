// Small RAII wrappers over the sqlite3 C API that speak Status (the adapter: nothing above
// this file sees an SQLite result code).
//
// SqliteDb owns one connection and a cache of prepared statements. Not thread-safe: the
// owner serializes calls (ResultStore holds a mutex). Every error names the database path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace chromatune {

class SqliteDb;

// A prepared statement borrowed from SqliteDb's cache. Bind indices start at 1, column
// indices at 0. Move-only; the destructor resets the statement, which ends the read it may
// hold open (an unfinished SELECT would otherwise keep a read transaction alive).
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, const char* value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& BindNull(int index);
  // Binds text without copying it: `value` must stay valid and unchanged until the statement
  // is reset or the parameter bound again. For the rows of a bulk insert, whose texts live
  // in the caller's data (Bind copies each text once per row).
  SqliteStatement& BindView(int index, std::string_view value);

  // Makes the statement ready to bind and run again (bindings cleared). A statement kept
  // across the rows of a loop is reset this way instead of being borrowed again each time.
  void Reset();

  // Advances: true with a row, false when done; bind errors surface here.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();

  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;  // first failing sqlite3_bind_* code, reported by Step
};

class SqliteDb {
 public:
  // Opens the file (read-only: SQLITE_OPEN_READONLY, never creates). Opening does not read
  // the file yet; the first statement does (and reports "not a database" then).
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool read_only,
                                                int busy_timeout_ms);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without results.
  Status Exec(const std::string& sql);
  // Borrows the cached prepared statement for `sql` (prepared on first use). A cache hit
  // costs one hash of the text and no allocation.
  Result<SqliteStatement> Prepare(std::string_view sql);

  int64_t LastInsertRowid() const;
  int64_t Changes() const;
  const std::string& path() const { return path_; }

  // Maps an SQLite result code (and the connection's message and errno) to a Status whose
  // message names the database path and `what` was being done.
  Status Error(int rc, const std::string& what) const;

 private:
  SqliteDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_;
  struct CachedStatement {
    std::unique_ptr<const std::string> sql;  // owns the text that the map's key views
    sqlite3_stmt* stmt = nullptr;
  };
  std::unordered_map<std::string_view, CachedStatement> statements_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless committed. IMMEDIATE takes
// the write lock up front, so a transaction never fails half-way on a lock upgrade.
class SqliteTransaction {
 public:
  static Result<std::unique_ptr<SqliteTransaction>> Begin(SqliteDb* db);
  ~SqliteTransaction();
  Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
  bool done_ = false;
};

}  // namespace chromatune
