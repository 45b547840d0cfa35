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
