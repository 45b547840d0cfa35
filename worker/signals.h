// Process signals of a worker rank: SIGTERM/SIGINT request a drain (finish or release the
// current trials, then exit); fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)
// leave a crash note naming the trial the rank was running (crash_notes.h) before the
// process dies with the signal's default action.
#pragma once

#include <string>

namespace chromatune::worker {

// Installs the handlers. `crash_note_path` may be empty (no crash notes). Call once.
void InstallSignalHandlers(const std::string& crash_note_path);
// True once SIGTERM or SIGINT arrived.
bool DrainRequested();
// Sets what a crash note says if a fatal signal arrives now (empty: nothing is written).
// Not thread-safe with itself; the handler reads a consistent copy.
void SetCrashContext(const std::string& note);

}  // namespace chromatune::worker
