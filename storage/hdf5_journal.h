// A journaling HDF5 file driver: every read-write open of a file is one all-or-nothing
// session, even under kill -9 or a full disk.
//
// Why: HDF5 1.10 updates its metadata in place and can leave a file unreadable when the
// process dies during a flush; SWMR cannot create groups. This driver is HDF5's sec2 driver
// plus an undo journal, the technique of SQLite's rollback journal: before it overwrites or
// truncates any byte that existed when the file was opened, it appends the old bytes to
// `<file>.journal` and fsyncs the journal. Bytes beyond the original end are new space and
// need no undo. Closing the file after a clean session fsyncs it and deletes the journal
// (the commit point). If the session fails (a write error) or the process dies, the next
// read-write open (or RollbackHdf5Journal) truncates the file to its original size and
// restores the saved bytes in reverse order: the file is byte-for-byte what it was before.
//
// Locking: a read-write open holds an exclusive flock on the file, a read-only open a shared
// one; a conflicting open fails at once ("in use by another process"). A read-only open of a
// file with a journal fails (a crashed writer: open it read-write once to recover).
// Creation (H5F_ACC_CREAT / TRUNC) is not journaled: create under a temporary name and
// rename it into place (ArtifactStore does).
//
// Thread safety: like all HDF5 calls, use from one thread at a time (ArtifactStore holds a
// process-wide mutex).
#pragma once

#include <hdf5.h>

#include <string>

#include "common/status.h"

namespace chromatune {

// A new file access property list using the journaling driver (caller closes it).
Result<hid_t> JournaledFileAccess();

// `<path>.journal`.
std::string Hdf5JournalPath(const std::string& path);

// Restores `path` from its journal if one exists (no-op otherwise). The caller must hold no
// open HDF5 handle on the file.
Status RollbackHdf5Journal(const std::string& path);

// Marks this process's open read-write session of `path` as failed, so that closing the
// file rolls it back instead of committing it (an error half-way through a batch).
void AbortHdf5Session(const std::string& path);

// The last error the driver met on this thread (cleared by the call), with the errno that
// caused it (0 if none). HDF5 reports driver failures only as "write failed"; this keeps the
// cause (ENOSPC, EFBIG, EACCES, a lock held by another process) for the Status.
struct Hdf5DriverError {
  std::string message;
  int sys_errno = 0;
};
Hdf5DriverError TakeHdf5DriverError();

}  // namespace chromatune
