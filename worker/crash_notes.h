// Crash notes: how a trial that kills its process (segfault, abort) gets its real error
// recorded instead of a bare "lease expired". Each worker rank keeps a note file
// "crash-<pid>.note" in a per-host directory; the fatal-signal handler (signals.h) appends
// "TRIAL_ID ATTEMPT rank R pid P [lease LEASE_ID] [mates T:A:L,...] SIGNAL" (the lease id:
// the coordinator accepts the report only with it, from the token that leased the trial; the
// mates: the other trials of the round, which the crash ends too). The next worker started on
// that host collects the notes of dead processes and reports them to the coordinator: the
// crashed trial as a failed attempt, its round-mates as infrastructure releases (not charged;
// INTERFACES.md, "Failure accounting"); fencing accepts each only while that attempt is still
// the trial's current one (a mate whose lease expired first was charged by the expiry).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::worker {

// A trial of the crashed rank's round that ran on other ranks (or waited for the round).
struct CrashMate {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string lease_id;
};

struct CrashNote {
  int64_t trial_id = 0;
  int attempt = 0;
  std::string lease_id;  // "" in notes written before lease ids were recorded
  std::string error;     // e.g. "worker crashed with SIGSEGV (rank 1, pid 4242)"
  std::vector<CrashMate> mates;
};

// The longest crash context CrashContext returns: it leaves out the mates that would not fit
// (signals.h keeps the context in a fixed buffer, to be written from a signal handler).
inline constexpr size_t kMaxCrashContext = 3800;

// "<dir>/crash-<pid>.note"; creates `dir` if missing.
Result<std::string> CrashNotePath(const std::string& dir, int pid);
// The crash context line for a trial: "TRIAL ATTEMPT rank R pid P", " lease L" when
// `lease_id` is not empty, " mates T:A:L,..." when `mates` is not empty (as many as fit in
// kMaxCrashContext).
std::string CrashContext(int64_t trial_id, int attempt, int rank, int pid,
                         const std::string& lease_id = "",
                         const std::vector<CrashMate>& mates = {});
// Reads and deletes the note files of processes that no longer run; a missing directory
// holds no notes. Lines that do not parse are skipped.
std::vector<CrashNote> CollectCrashNotes(const std::string& dir);
// Parses one note line; false when it is not a note.
bool ParseCrashNote(const std::string& line, CrashNote* note);

}  // namespace chromatune::worker
