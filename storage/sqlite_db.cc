#include "storage/sqlite_db.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace chromatune {

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_reset(stmt_);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_reset(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    bind_error_ = other.bind_error_;
    other.stmt_ = nullptr;
  }
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::BindView(int index, std::string_view value) {
  int rc =
      sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (bind_error_ != 0) return db_->Error(bind_error_, "binding a parameter");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = db_->Error(rc, std::string("running \"") + sqlite3_sql(stmt_) + "\"");
  sqlite3_reset(stmt_);
  return s;
}

Status SqliteStatement::Run() {
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t SqliteStatement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

double SqliteStatement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string SqliteStatement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

bool SqliteStatement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool read_only,
                                                 int busy_timeout_ms) {
  sqlite3* handle = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;  // the owner serializes access
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, handle));
  if (rc != SQLITE_OK) {
    if (handle == nullptr) return ResourceExhausted(path + ": out of memory opening database");
    return db->Error(rc, "opening the database");
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, busy_timeout_ms);
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, cached] : statements_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return Error(rc, "running \"" + sql.substr(0, 60) + "\"");
  return Status::Ok();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    CachedStatement cached;
    cached.sql = std::make_unique<const std::string>(sql);
    int rc = sqlite3_prepare_v3(db_, cached.sql->data(), static_cast<int>(cached.sql->size()),
                                SQLITE_PREPARE_PERSISTENT, &cached.stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "preparing \"" + *cached.sql + "\"");
    const std::string_view key(*cached.sql);
    it = statements_.emplace(key, std::move(cached)).first;
  }
  sqlite3_reset(it->second.stmt);
  sqlite3_clear_bindings(it->second.stmt);
  return SqliteStatement(this, it->second.stmt);
}

int64_t SqliteDb::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

namespace {

std::string DirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// SQLite often reports a write that ran out of room as a plain SQLITE_IOERR_WRITE with no
// errno; name the likely cause when the filesystem or the process limit says so.
std::string OutOfRoomCause(const std::string& path) {
  struct statvfs fs;
  if (statvfs(DirOf(path).c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < (uint64_t{1} << 20)) {
    return "the disk is full";
  }
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    return "the file size limit (ulimit -f) was reached";
  }
  return "";
}

}  // namespace

Status SqliteDb::Error(int rc, const std::string& what) const {
  const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int sys_errno = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
  std::string message = path_ + ": " + what + ": " + detail;
  if (sys_errno != 0) message += " (" + std::string(std::strerror(sys_errno)) + ")";
  // A write that hits a full disk or the file size limit surfaces as SQLITE_FULL or as an
  // I/O error whose errno says so.
  if ((rc & 0xff) == SQLITE_FULL || sys_errno == ENOSPC || sys_errno == EDQUOT) {
    return ResourceExhausted(message + ": the disk is full; nothing of this change was stored");
  }
  if (sys_errno == EFBIG || rc == SQLITE_IOERR_WRITE) {
    std::string cause = OutOfRoomCause(path_);
    if (cause.empty() && sys_errno == EFBIG) cause = "the file size limit was reached";
    if (!cause.empty()) {
      return ResourceExhausted(message + ": " + cause + "; nothing of this change was stored");
    }
  }
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return Corruption(path_ + ": not an SQLite database (" + detail + ")");
    case SQLITE_CORRUPT:
      return Corruption(message + ": the database file is damaged");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(message + ": another process holds the database lock");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return PermissionDenied(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return IoError(message);
    case SQLITE_CONSTRAINT:
      return AlreadyExists(message);
    case SQLITE_NOMEM:
      return ResourceExhausted(message);
    default:
      return Internal(message);
  }
}

namespace {

// Transaction control statements run once per transition when the coordinator writes one
// by one: they go through the statement cache rather than being parsed each time.
Status RunCached(SqliteDb* db, const char* sql) {
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare(sql));
  return stmt.Run();
}

}  // namespace

Result<std::unique_ptr<SqliteTransaction>> SqliteTransaction::Begin(SqliteDb* db) {
  CT_RETURN_IF_ERROR(RunCached(db, "BEGIN IMMEDIATE"));
  return std::unique_ptr<SqliteTransaction>(new SqliteTransaction(db));
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  CT_RETURN_IF_ERROR(RunCached(db_, "COMMIT"));  // on failure the destructor rolls back
  done_ = true;
  return Status::Ok();
}

}  // namespace chromatune
