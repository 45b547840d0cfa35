// Crash notes: how a trial that kills its process (segfault, abort) gets its real error
// recorded instead of a bare "lease expired". Each worker rank keeps a note file
// "crash-<pid>.note" in a per-host directory; the fatal-signal handler (signals.h) appends
// "TRIAL_ID ATTEMPT rank R pid P [lease LEASE_ID] SIGNAL" (the lease id: the coordinator
// accepts the report only with it, from the token that leased the trial). The next worker started
// on that host collects the notes of dead processes and reports them to the coordinator as failed
// attempts, which fencing accepts only while that attempt is still the trial's current one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::worker {

struct CrashNote {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string lease_id;  // "" in notes written before lease ids were recorded
  std::string error;     // e.g. "worker crashed with SIGSEGV (rank 1, pid 4242)"
};

// "<dir>/crash-<pid>.note"; creates `dir` if missing.
Result<std::string> CrashNotePath(const std::string& dir, int pid);
// The crash context line for a trial: "TRIAL ATTEMPT rank R pid P" and " lease L" when
// `lease_id` is not empty.
std::string CrashContext(int64_t trial_id, int attempt, int rank, int pid,
                         const std::string& lease_id = "");
// Reads and deletes the note files of processes that no longer run; a missing directory
// holds no notes. Lines that do not parse are skipped.
std::vector<CrashNote> CollectCrashNotes(const std::string& dir);
// Parses one note line; false when it is not a note.
bool ParseCrashNote(const std::string& line, CrashNote* note);

}  // namespace chromatune::worker
