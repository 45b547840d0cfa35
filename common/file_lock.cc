#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chromatune {
namespace {

Status LockError(const std::string& what, const std::string& path, int err) {
  return Unavailable(what + " " + path + ": " + std::strerror(err));
}

int FlockRetryingOnSignal(int fd, int op) {
  int rc = 0;
  do {
    rc = flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, const std::function<void()>& on_wait) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return LockError("cannot open lock file", path, errno);
  if (FlockRetryingOnSignal(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd, false);
  if (errno != EWOULDBLOCK) {
    const int err = errno;
    close(fd);
    return LockError("cannot lock", path, err);
  }
  if (on_wait) on_wait();
  if (FlockRetryingOnSignal(fd, LOCK_EX) != 0) {
    const int err = errno;
    close(fd);
    return LockError("cannot lock", path, err);
  }
  return FileLock(fd, true);
}

Result<FileLock> FileLock::TryAcquire(const std::string& path, const std::string& holder) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return LockError("cannot open lock file", path, errno);
  if (FlockRetryingOnSignal(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(fd);
    if (err != EWOULDBLOCK) return LockError("cannot lock", path, err);
    const std::string who = HolderOf(path);
    return FailedPrecondition(
        path + " is locked by " +
        (who.empty() ? std::string("another process (holder unknown)") : "\"" + who + "\""));
  }
  FileLock lock(fd, false);
  const std::string text = holder + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return LockError("cannot write the holder into lock file", path, errno);
  }
  return lock;
}

std::string FileLock::HolderOf(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[512];
  const ssize_t n = pread(fd, buf, sizeof(buf), 0);
  close(fd);
  if (n <= 0) return "";
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_), waited_(other.waited_) {
  other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    waited_ = other.waited_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace chromatune
