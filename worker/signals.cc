#include "worker/signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "worker/crash_notes.h"

namespace chromatune::worker {
namespace {

std::atomic<bool> g_drain{false};
int g_crash_fd = -1;
// Two buffers and an atomic index: SetCrashContext writes the idle one then flips, so the
// handler never reads a half-written note.
constexpr size_t kNoteSize = kMaxCrashContext + 1;
char g_notes[2][kNoteSize];
std::atomic<int> g_active{-1};

void OnDrain(int) { g_drain.store(true); }

void OnFatal(int sig) {
  const int active = g_active.load();
  if (g_crash_fd >= 0 && active >= 0) {
    const char* note = g_notes[active];
    char line[kNoteSize + 32];
    size_t n = 0;
    for (const char* p = note; *p && n < kNoteSize; ++p) line[n++] = *p;
    const char* name = sig == SIGSEGV  ? " SIGSEGV\n"
                       : sig == SIGBUS ? " SIGBUS\n"
                       : sig == SIGFPE ? " SIGFPE\n"
                       : sig == SIGILL ? " SIGILL\n"
                                       : " SIGABRT\n";
    for (const char* p = name; *p; ++p) line[n++] = *p;
    ssize_t ignored = write(g_crash_fd, line, n);
    (void)ignored;
    fsync(g_crash_fd);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void InstallSignalHandlers(const std::string& crash_note_path) {
  struct sigaction drain {};
  drain.sa_handler = OnDrain;
  sigemptyset(&drain.sa_mask);
  sigaction(SIGTERM, &drain, nullptr);
  sigaction(SIGINT, &drain, nullptr);
  if (!crash_note_path.empty()) {
    g_crash_fd = open(crash_note_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  struct sigaction fatal {};
  fatal.sa_handler = OnFatal;
  sigemptyset(&fatal.sa_mask);
  fatal.sa_flags = SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &fatal, nullptr);
}

bool DrainRequested() { return g_drain.load(); }

void SetCrashContext(const std::string& note) {
  if (note.empty()) {
    g_active.store(-1);
    return;
  }
  const int next = g_active.load() == 0 ? 1 : 0;
  std::strncpy(g_notes[next], note.c_str(), kNoteSize - 1);
  g_notes[next][kNoteSize - 1] = '\0';
  g_active.store(next);
}

}  // namespace chromatune::worker
