// Versioned schema migrations of the result store (docs/schema.md).
//
// Migration N turns a schema of version N-1 into version N. Applied versions are rows of
// `schema_migrations` (version, name, applied_ms); each migration runs in its own
// BEGIN IMMEDIATE transaction together with its row, so a crash leaves the schema at some
// whole version. Migrations are append-only: never edit a released one, add the next.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "storage/sqlite_db.h"

namespace chromatune {

// The schema version this binary writes and reads.
int LatestSchemaVersion();

// The schema version of the open database: 0 for an empty database (no tables at all).
// kFailedPrecondition when the file holds tables but no `schema_migrations` (not a
// chromatune store); kCorruption when it is not an SQLite file.
Result<int> ReadSchemaVersion(SqliteDb* db);

// Brings the schema to LatestSchemaVersion(). kFailedPrecondition, with nothing written,
// when the database is newer than this binary.
Status Migrate(SqliteDb* db, int64_t now_ms);
// Applies the migrations up to `version` only (tests build older schemas with it).
Status MigrateTo(SqliteDb* db, int version, int64_t now_ms);

}  // namespace chromatune
