#include "storage/migrations.h"

#include <string>
#include <utility>
#include <vector>

#include "storage/trial_key_hash.h"

namespace chromatune {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;
  // Runs after `sql`, in the same transaction: data that SQL alone cannot compute.
  Status (*fill)(SqliteDb* db) = nullptr;
  // `sql` rebuilds tables (create, copy, drop, rename): foreign keys are off while it runs,
  // as SQLite requires for dropping a referenced table, and checked before the commit.
  bool rebuilds_tables = false;
};

// Schema version 1. Trial states and transitions: storage/result_store.h.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  user TEXT NOT NULL REFERENCES users(name),
  priority INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
  rerun INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  spec_yaml TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE trials (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  idx INTEGER NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('pending', 'leased', 'running', 'done', 'failed', 'cancelled')),
  task TEXT NOT NULL,
  dataset TEXT NOT NULL,
  method TEXT NOT NULL,
  shots INTEGER NOT NULL,
  data_seed INTEGER NOT NULL,
  train_seed INTEGER NOT NULL,
  ranks INTEGER NOT NULL CHECK (ranks >= 1),
  params_json TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,
  lease_id TEXT,
  lease_expires_ms INTEGER,
  worker_group INTEGER,
  progress REAL NOT NULL DEFAULT 0,
  progress_note TEXT NOT NULL DEFAULT '',
  reused_from INTEGER REFERENCES trials(id),
  error TEXT NOT NULL DEFAULT '',
  info_json TEXT,
  wall_seconds REAL NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (sweep_id, key)
);
-- The plan item handed to the worker, apart from the hot trial rows that every transition
-- rewrites (narrow rows: fewer pages written per batch).
CREATE TABLE trial_items (
  trial_id INTEGER PRIMARY KEY REFERENCES trials(id),
  item_json TEXT NOT NULL
);
-- The scheduler's queue: pending trials of a sweep, oldest first.
CREATE INDEX trials_pending ON trials(sweep_id, id) WHERE state = 'pending';
-- Reuse of finished identical trials across sweeps.
CREATE INDEX trials_done_key ON trials(key) WHERE state = 'done';
-- Lease expiry.
CREATE INDEX trials_leases ON trials(lease_expires_ms) WHERE state IN ('leased', 'running');
-- Per-sweep counts by state.
CREATE INDEX trials_sweep_state ON trials(sweep_id, state);

CREATE TABLE attempts (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  attempt INTEGER NOT NULL,
  lease_id TEXT NOT NULL,
  worker_group INTEGER NOT NULL,
  leased_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0,
  ended_ms INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (trial_id, attempt)
) WITHOUT ROWID;

-- Final metrics of a trial.
CREATE TABLE metrics (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  name TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (trial_id, name)
) WITHOUT ROWID;

-- Training curves: metric `name` at `step`.
CREATE TABLE curves (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (trial_id, name, step)
) WITHOUT ROWID;

CREATE TABLE worker_groups (
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL,
  ranks INTEGER NOT NULL CHECK (ranks >= 1),
  devices_json TEXT NOT NULL,
  version TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'gone')),
  registered_ms INTEGER NOT NULL,
  last_heartbeat_ms INTEGER NOT NULL
);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  sweep_id INTEGER,
  trial_id INTEGER,
  message TEXT NOT NULL
);
)sql";

// Schema version 2: plan items are kept as templates shared by a run of replicates
// (storage/item_template.h) instead of one copy per trial: creating a 100,000-trial sweep
// wrote 39 MB of item text. Existing items become templates of their own trial with no
// replicate fields to put back, so every item reads back as it was.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE item_templates (
  id INTEGER PRIMARY KEY,
  item_json TEXT NOT NULL,
  fields INTEGER NOT NULL
);
ALTER TABLE trials ADD COLUMN template_id INTEGER REFERENCES item_templates(id);
INSERT INTO item_templates(id, item_json, fields) SELECT trial_id, item_json, 0 FROM trial_items;
UPDATE trials SET template_id = id;
DROP TABLE trial_items;
)sql";

// Schema version 3: trial keys are indexed by TrialKeyHash (storage/trial_key_hash.h)
// instead of their 64-character text, and the UNIQUE (sweep_id, key) constraint is gone:
// the single writer checks a sweep's keys in memory before it inserts them
// (ResultStore::CreateSweep). Dropping a table constraint takes a table rebuild; the
// columns, their order and every row are kept, with `key_hash` added at the end.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE trials_v3 (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  idx INTEGER NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('pending', 'leased', 'running', 'done', 'failed', 'cancelled')),
  task TEXT NOT NULL,
  dataset TEXT NOT NULL,
  method TEXT NOT NULL,
  shots INTEGER NOT NULL,
  data_seed INTEGER NOT NULL,
  train_seed INTEGER NOT NULL,
  ranks INTEGER NOT NULL CHECK (ranks >= 1),
  params_json TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,
  lease_id TEXT,
  lease_expires_ms INTEGER,
  worker_group INTEGER,
  progress REAL NOT NULL DEFAULT 0,
  progress_note TEXT NOT NULL DEFAULT '',
  reused_from INTEGER REFERENCES trials(id),
  error TEXT NOT NULL DEFAULT '',
  info_json TEXT,
  wall_seconds REAL NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  template_id INTEGER REFERENCES item_templates(id),
  key_hash INTEGER NOT NULL DEFAULT 0
);
INSERT INTO trials_v3(id, sweep_id, idx, key, state, task, dataset, method, shots, data_seed,
  train_seed, ranks, params_json, attempt, failures, not_before_ms, lease_id,
  lease_expires_ms, worker_group, progress, progress_note, reused_from, error, info_json,
  wall_seconds, created_ms, updated_ms, template_id)
SELECT id, sweep_id, idx, key, state, task, dataset, method, shots, data_seed,
  train_seed, ranks, params_json, attempt, failures, not_before_ms, lease_id,
  lease_expires_ms, worker_group, progress, progress_note, reused_from, error, info_json,
  wall_seconds, created_ms, updated_ms, template_id FROM trials;
DROP TABLE trials;
ALTER TABLE trials_v3 RENAME TO trials;
CREATE INDEX trials_pending ON trials(sweep_id, id) WHERE state = 'pending';
-- Reuse of finished identical trials across sweeps: key_hash = ? AND key = ?.
CREATE INDEX trials_done_key ON trials(key_hash) WHERE state = 'done';
CREATE INDEX trials_leases ON trials(lease_expires_ms) WHERE state IN ('leased', 'running');
CREATE INDEX trials_sweep_state ON trials(sweep_id, state);
)sql";

// Schema version 4 (issue 18, a coordinator a lab can share): worker groups remember the
// user and role of the token that registered them (fencing checks that the token which
// leased a trial is the one that reports it; reuse draws only on results of groups whose
// role is worker or admin), and every submit, cancel and priority change of a sweep is
// recorded in `audit` with who and when. Additive: groups registered before keep user and
// role '' (docs/decisions.md: their results stay reusable).
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE worker_groups ADD COLUMN user TEXT NOT NULL DEFAULT '';
ALTER TABLE worker_groups ADD COLUMN role TEXT NOT NULL DEFAULT '';
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  sweep TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_sweep ON audit(sweep, id);
)sql";

// Schema version 5 (issue 21, readers in Python): `meta` holds facts about the file for
// readers that do not link chromatune, first of all `reader_version`
// (kReaderVersion, migrations.h): the version of the reader contract of docs/schema.md
// ("Reading the store"). Additive migrations leave it alone; a migration that breaks
// readers (drops or renames a stable table or column, changes what a stable value means)
// sets it to its new value in its own SQL.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('reader_version', '1');
)sql";

// Schema version 6 (issue 17, adaptive search): the trial state `stopped` (ASHA stopped the
// trial's configuration at a rung), and the search's own rows, so that a restarted
// coordinator continues where it stood: TPE suggestions, rung results and rung decisions.
// Adding a value to the state CHECK constraint takes a table rebuild (as version 3 did):
// the columns, their order and every row are kept. The rest is additive.
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE trials_v6 (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  idx INTEGER NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('pending', 'leased', 'running', 'done', 'failed', 'cancelled', 'stopped')),
  task TEXT NOT NULL,
  dataset TEXT NOT NULL,
  method TEXT NOT NULL,
  shots INTEGER NOT NULL,
  data_seed INTEGER NOT NULL,
  train_seed INTEGER NOT NULL,
  ranks INTEGER NOT NULL CHECK (ranks >= 1),
  params_json TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  not_before_ms INTEGER NOT NULL DEFAULT 0,
  lease_id TEXT,
  lease_expires_ms INTEGER,
  worker_group INTEGER,
  progress REAL NOT NULL DEFAULT 0,
  progress_note TEXT NOT NULL DEFAULT '',
  reused_from INTEGER REFERENCES trials(id),
  error TEXT NOT NULL DEFAULT '',
  info_json TEXT,
  wall_seconds REAL NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  template_id INTEGER REFERENCES item_templates(id),
  key_hash INTEGER NOT NULL DEFAULT 0
);
INSERT INTO trials_v6 SELECT id, sweep_id, idx, key, state, task, dataset, method, shots,
  data_seed, train_seed, ranks, params_json, attempt, failures, not_before_ms, lease_id,
  lease_expires_ms, worker_group, progress, progress_note, reused_from, error, info_json,
  wall_seconds, created_ms, updated_ms, template_id, key_hash FROM trials;
DROP TABLE trials;
ALTER TABLE trials_v6 RENAME TO trials;
CREATE INDEX trials_pending ON trials(sweep_id, id) WHERE state = 'pending';
CREATE INDEX trials_done_key ON trials(key_hash) WHERE state = 'done';
CREATE INDEX trials_leases ON trials(lease_expires_ms) WHERE state IN ('leased', 'running');
CREATE INDEX trials_sweep_state ON trials(sweep_id, state);
-- TPE: the parameters suggested for a configuration (a replicate group), once.
CREATE TABLE search_suggestions (
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  config TEXT NOT NULL,
  unit TEXT NOT NULL,
  params_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, config)
) WITHOUT ROWID;
-- A trial's objective at a rung, as first reported (a re-leased trial reports once).
CREATE TABLE search_rungs (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  rung INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  value REAL NOT NULL,
  metrics_json TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  reported_ms INTEGER NOT NULL,
  PRIMARY KEY (trial_id, rung)
) WITHOUT ROWID;
-- ASHA's decisions on configurations, in the order made (id): promoted or stopped.
CREATE TABLE search_decisions (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  unit TEXT NOT NULL,
  config TEXT NOT NULL,
  rung INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  mean REAL NOT NULL,
  promoted INTEGER NOT NULL,
  decided_ms INTEGER NOT NULL,
  UNIQUE (sweep_id, config, rung)
);
)sql";

// Version 7: infrastructure re-queues (INTERFACES.md, "Failure accounting"): attempts given
// back uncharged because the infrastructure failed them (a lost grant or lease-ahead reply, a
// worker group ended by a round-mate's hang), counted per trial and per sweep for `status`.
constexpr const char* kSchemaV7 = R"sql(
ALTER TABLE trials ADD COLUMN infra_requeues INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN infra_requeues INTEGER NOT NULL DEFAULT 0;
)sql";

// Schema version 8 (issue 22, submission that cannot stall the service): a sweep is stored
// in bounded steps (ResultStore::BeginSweep/StepSweep) while its row says `planning`; every
// reader skips such sweeps and a restarted coordinator deletes them (all or nothing). Item
// templates name their sweep so that a discarded draft's templates go with it. Additive
// only: it applies the same after any migration 7.
constexpr const char* kSchemaV8 = R"sql(
ALTER TABLE sweeps ADD COLUMN planning INTEGER NOT NULL DEFAULT 0;
ALTER TABLE item_templates ADD COLUMN sweep_id INTEGER;
CREATE INDEX item_templates_sweep ON item_templates(sweep_id) WHERE sweep_id IS NOT NULL;
)sql";

// Reads every (id, key) before writing: SQLite leaves undefined what a scan sees of rows
// its own connection changes while it runs.
Status FillKeyHashes(SqliteDb* db) {
  std::vector<std::pair<int64_t, int64_t>> hashes;  // (trial id, key hash)
  {
    CT_ASSIGN_OR_RETURN(auto list, db->Prepare("SELECT id, key FROM trials"));
    while (true) {
      CT_ASSIGN_OR_RETURN(bool row, list.Step());
      if (!row) break;
      hashes.emplace_back(list.ColumnInt(0), TrialKeyHash(list.ColumnText(1)));
    }
  }
  CT_ASSIGN_OR_RETURN(auto set, db->Prepare("UPDATE trials SET key_hash = ? WHERE id = ?"));
  for (const auto& [id, hash] : hashes) {
    set.Reset();
    CT_RETURN_IF_ERROR(set.Bind(1, hash).Bind(2, id).Run());
  }
  return Status::Ok();
}

// Refuses the commit of a table rebuild that left a dangling reference.
Status CheckForeignKeys(SqliteDb* db) {
  CT_ASSIGN_OR_RETURN(auto check, db->Prepare("PRAGMA foreign_key_check"));
  CT_ASSIGN_OR_RETURN(bool violation, check.Step());
  if (!violation) return Status::Ok();
  return Internal(db->path() + ": table " + check.ColumnText(0) + " row " +
                  std::to_string(check.ColumnInt(1)) + " references a missing row of " +
                  check.ColumnText(2) + " after the migration; nothing was changed");
}

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial schema", kSchemaV1},
      {2, "plan items as templates", kSchemaV2},
      {3, "trial keys indexed by hash", kSchemaV3, FillKeyHashes, /*rebuilds_tables=*/true},
      {4, "worker group owners and the audit trail", kSchemaV4},
      {5, "reader-compatibility version", kSchemaV5},
      {6, "stopped trials and the adaptive search's rows", kSchemaV6, nullptr,
       /*rebuilds_tables=*/true},
      {7, "infrastructure re-queues", kSchemaV7},
      {8, "sweeps stored in steps (planning)", kSchemaV8},
  };
  return kMigrations;
}

Result<bool> ForeignKeysOn(SqliteDb* db) {
  CT_ASSIGN_OR_RETURN(auto pragma, db->Prepare("PRAGMA foreign_keys"));
  CT_ASSIGN_OR_RETURN(bool row, pragma.Step());
  return row && pragma.ColumnInt(0) != 0;
}

// One migration and its schema_migrations row, in one BEGIN IMMEDIATE transaction.
Status Apply(SqliteDb* db, const Migration& m, int64_t now_ms) {
  CT_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(db));
  CT_RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
               "name TEXT NOT NULL, applied_ms INTEGER NOT NULL)"));
  // Re-check under the write lock: another process may have migrated meanwhile.
  CT_ASSIGN_OR_RETURN(int now_version, ReadSchemaVersion(db));
  if (now_version >= m.version) return Status::Ok();
  const std::string context = "migration " + std::to_string(m.version);
  CT_RETURN_IF_ERROR(db->Exec(m.sql).WithContext(context));
  if (m.fill != nullptr) CT_RETURN_IF_ERROR(m.fill(db).WithContext(context));
  if (m.rebuilds_tables) CT_RETURN_IF_ERROR(CheckForeignKeys(db));
  CT_ASSIGN_OR_RETURN(auto insert,
                      db->Prepare("INSERT INTO schema_migrations(version, name, applied_ms) "
                                  "VALUES (?, ?, ?)"));
  CT_RETURN_IF_ERROR(insert.Bind(1, m.version).Bind(2, m.name).Bind(3, now_ms).Run());
  CT_RETURN_IF_ERROR(db->Exec("PRAGMA user_version = " + std::to_string(m.version)));
  return txn->Commit();
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Result<int> ReadSchemaVersion(SqliteDb* db) {
  // The first read of the file: an SQLite "not a database" error surfaces here.
  CT_ASSIGN_OR_RETURN(auto stmt, db->Prepare("SELECT count(*), "
                                             "sum(name = 'schema_migrations') FROM sqlite_master "
                                             "WHERE type = 'table'"));
  CT_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal(db->path() + ": sqlite_master returned no row");
  const int64_t tables = stmt.ColumnInt(0);
  const int64_t has_migrations = stmt.ColumnInt(1);
  if (tables == 0) return 0;
  if (has_migrations == 0) {
    return FailedPrecondition(db->path() +
                              ": is an SQLite database but not a chromatune result store (no "
                              "schema_migrations table); refusing to modify it");
  }
  CT_ASSIGN_OR_RETURN(auto version,
                      db->Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  CT_ASSIGN_OR_RETURN(row, version.Step());
  return static_cast<int>(version.ColumnInt(0));
}

Status Migrate(SqliteDb* db, int64_t now_ms) {
  return MigrateTo(db, LatestSchemaVersion(), now_ms);
}

Status MigrateTo(SqliteDb* db, int version, int64_t now_ms) {
  CT_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(db));
  if (current > LatestSchemaVersion()) {
    return FailedPrecondition(db->path() + ": the database has schema version " +
                              std::to_string(current) + " but this chromatune reads at most " +
                              std::to_string(LatestSchemaVersion()) +
                              "; upgrade chromatune (the file was not modified)");
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= current || m.version > version) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction: switched around it.
    CT_ASSIGN_OR_RETURN(bool foreign_keys, ForeignKeysOn(db));
    if (m.rebuilds_tables && foreign_keys) {
      CT_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = OFF"));
    }
    Status applied = Apply(db, m, now_ms);
    if (m.rebuilds_tables && foreign_keys) {
      CT_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
    }
    CT_RETURN_IF_ERROR(applied);
  }
  return Status::Ok();
}

}  // namespace chromatune
