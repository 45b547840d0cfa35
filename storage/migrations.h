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

// The reader-compatibility version that the latest migration leaves in
// `meta.reader_version` (schema 5 on; docs/schema.md, "Reading the store"). Readers outside
// this binary (the Python package) refuse a file whose reader_version is newer than the one
// they know. It changes only with a migration that breaks readers, never with an additive
// one; that migration sets the new value in `meta` and here.
inline constexpr int kReaderVersion = 1;

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
