// FileLock: an exclusive advisory lock (flock) on a file, held for the object's lifetime.
//
// For work that several processes sharing a directory may all find missing at once and that
// must be done once: pretraining a backbone into the shared checkpoint cache (two worker
// groups of a fresh `make demo` both started pretraining the same spec, each at a fraction
// of the cores). flock works between processes on one host and on NFSv4 and Lustre mounts
// with locking enabled; on a filesystem without it, Acquire returns the error and the caller
// decides (the cache then falls back to possibly duplicated work, never to a corrupt one:
// checkpoints are written to a temporary directory and renamed).
#pragma once

#include <functional>
#include <string>

#include "common/status.h"

namespace chromatune {

class FileLock {
 public:
  // Opens (creating it, mode 0644) and locks `path`. When another process holds the lock,
  // calls `on_wait` once (e.g. to report "waiting for ...") and blocks until it is released.
  // Errors: kUnavailable naming the path and the OS error.
  static Result<FileLock> Acquire(const std::string& path,
                                  const std::function<void()>& on_wait = nullptr);

  // Opens (creating it, mode 0644) and locks `path` WITHOUT waiting, then replaces its
  // content with `holder` (e.g. "host pid") so that whoever finds the lock taken can say who
  // holds it (HolderOf). For one process per resource: one coordinator per store.
  // Errors: kFailedPrecondition when another open file holds the lock (the message names the
  // path and the holder's text, or says it is unknown); kUnavailable for OS errors.
  static Result<FileLock> TryAcquire(const std::string& path, const std::string& holder);

  // The holder text TryAcquire wrote into `path`, without its trailing newline; "" when
  // the file is missing, empty or unreadable.
  static std::string HolderOf(const std::string& path);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();  // releases the lock (the file stays: removing it would race other waiters)

  // Whether Acquire had to wait for another holder.
  bool waited() const { return waited_; }

 private:
  FileLock(int fd, bool waited) : fd_(fd), waited_(waited) {}
  int fd_ = -1;
  bool waited_ = false;
};

}  // namespace chromatune
