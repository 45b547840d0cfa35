// ResultStore: worker groups, users and events.
#include <algorithm>

#include "storage/result_store.h"
#include "storage/result_store_impl.h"

namespace chromatune {

Result<int64_t> ResultStore::RegisterWorkerGroup(const WorkerGroupInfo& info) {
  if (info.ranks < 1) return InvalidArgument("worker group: ranks must be >= 1");
  if (info.host.empty()) return InvalidArgument("worker group: host is empty");
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  const int64_t now = impl_->Now();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("INSERT INTO worker_groups(host, ranks, "
                                             "devices_json, version, state, registered_ms, "
                                             "last_heartbeat_ms, user, role) VALUES (?, ?, ?, ?, "
                                             "'active', ?, ?, ?, ?)"));
  CT_RETURN_IF_ERROR(stmt.Bind(1, info.host)
                         .Bind(2, info.ranks)
                         .Bind(3, info.devices.dump())
                         .Bind(4, info.version)
                         .Bind(5, now)
                         .Bind(6, now)
                         .Bind(7, info.user)
                         .Bind(8, info.role)
                         .Run());
  const int64_t id = db->LastInsertRowid();
  CT_RETURN_IF_ERROR(impl_->InsertEvent("group.registered",
                                        "worker group " + std::to_string(id) + " on " + info.host +
                                            " with " + std::to_string(info.ranks) +
                                            " ranks (chromatune " + info.version + ")",
                                        std::nullopt, std::nullopt));
  CT_RETURN_IF_ERROR(txn->Commit());
  return id;
}

Status ResultStore::HeartbeatWorkerGroup(int64_t group_id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("UPDATE worker_groups SET last_heartbeat_ms = ? "
                                             "WHERE id = ? AND state = 'active'"));
  CT_RETURN_IF_ERROR(stmt.Bind(1, now_ms).Bind(2, group_id).Run());
  if (db->Changes() == 0) {
    return NotFound(impl_->path_ + ": no active worker group " + std::to_string(group_id));
  }
  return txn->Commit();
}

Status ResultStore::RemoveWorkerGroup(int64_t group_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("UPDATE worker_groups SET state = 'gone' "
                                             "WHERE id = ? AND state = 'active'"));
  CT_RETURN_IF_ERROR(stmt.Bind(1, group_id).Run());
  if (db->Changes() == 0) {
    return NotFound(impl_->path_ + ": no active worker group " + std::to_string(group_id));
  }
  CT_RETURN_IF_ERROR(impl_->InsertEvent("group.gone",
                                        "worker group " + std::to_string(group_id) + " left",
                                        std::nullopt, std::nullopt));
  return txn->Commit();
}

Result<std::vector<WorkerGroupInfo>> ResultStore::ListWorkerGroups(bool include_gone) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(
      auto stmt,
      impl_->db_->Prepare(std::string("SELECT id, host, ranks, devices_json, "
                                      "version, state, registered_ms, "
                                      "last_heartbeat_ms, user, role FROM worker_groups") +
                          (include_gone ? "" : " WHERE state = 'active'") + " ORDER BY id"));
  std::vector<WorkerGroupInfo> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    WorkerGroupInfo g;
    g.id = stmt.ColumnInt(0);
    g.host = stmt.ColumnText(1);
    g.ranks = static_cast<int>(stmt.ColumnInt(2));
    g.devices = nlohmann::json::parse(stmt.ColumnText(3), nullptr, false);
    g.version = stmt.ColumnText(4);
    g.state = stmt.ColumnText(5);
    g.registered_ms = stmt.ColumnInt(6);
    g.last_heartbeat_ms = stmt.ColumnInt(7);
    g.user = stmt.ColumnText(8);
    g.role = stmt.ColumnText(9);
    out.push_back(std::move(g));
  }
  return out;
}

Status ResultStore::EnsureUser(const std::string& name) {
  if (name.empty()) return InvalidArgument("user name is empty");
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("INSERT OR IGNORE INTO users(name, created_ms) "
                                             "VALUES (?, ?)"));
  CT_RETURN_IF_ERROR(stmt.Bind(1, name).Bind(2, impl_->Now()).Run());
  return txn->Commit();
}

Result<std::vector<std::string>> ResultStore::ListUsers() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt, impl_->db_->Prepare("SELECT name FROM users ORDER BY name"));
  std::vector<std::string> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnText(0));
  }
  return out;
}

Result<int64_t> ResultStore::AppendEvent(const std::string& kind, const std::string& message,
                                         std::optional<int64_t> sweep_id,
                                         std::optional<int64_t> trial_id) {
  if (kind.empty()) return InvalidArgument("event kind is empty");
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_RETURN_IF_ERROR(impl_->CheckWritable());
  SqliteDb* db = impl_->db_.get();
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_RETURN_IF_ERROR(impl_->InsertEvent(kind, message, sweep_id, trial_id));
  const int64_t id = db->LastInsertRowid();
  CT_RETURN_IF_ERROR(txn->Commit());
  return id;
}

Result<std::vector<EventRecord>> ResultStore::ListEvents(int64_t after_id, int limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CT_ASSIGN_OR_RETURN(auto stmt, impl_->db_->Prepare("SELECT id, time_ms, kind, sweep_id, "
                                                     "trial_id, message FROM events WHERE "
                                                     "id > ? ORDER BY id DESC LIMIT ?"));
  stmt.Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<EventRecord> out;
  while (true) {
    CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    EventRecord e;
    e.id = stmt.ColumnInt(0);
    e.time_ms = stmt.ColumnInt(1);
    e.kind = stmt.ColumnText(2);
    if (!stmt.ColumnIsNull(3)) e.sweep_id = stmt.ColumnInt(3);
    if (!stmt.ColumnIsNull(4)) e.trial_id = stmt.ColumnInt(4);
    e.message = stmt.ColumnText(5);
    out.push_back(std::move(e));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace chromatune
