#include "storage/hdf5_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace chromatune {
namespace {

constexpr char kMagic[8] = {'C', 'T', 'H', '5', 'J', 'R', 'N', '1'};
constexpr size_t kHeaderSize = 24;  // magic, original size, reserved

thread_local Hdf5DriverError last_error;

void SetError(const std::string& message, int sys_errno) {
  last_error.message = message;
  last_error.sys_errno = sys_errno;
}

std::string ParentDir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes a created or deleted directory entry durable.
void SyncDir(const std::string& path) {
  int fd = ::open(ParentDir(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

bool WriteAll(int fd, const void* data, size_t size, off_t offset) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

// Reads what exists; the rest of the buffer (past the end of the file) is zero-filled.
bool ReadAll(int fd, void* data, size_t size, off_t offset) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      std::memset(p, 0, size);
      return true;
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

uint64_t Fnv1a(uint64_t h, const void* data, size_t size) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t RecordChecksum(uint64_t addr, uint64_t len, const char* data) {
  uint64_t h = 14695981039346656037ull;
  h = Fnv1a(h, &addr, sizeof addr);
  h = Fnv1a(h, &len, sizeof len);
  return Fnv1a(h, data, len);
}

// The open-file state behind the driver's H5FD_t.
struct Session {
  std::string path;
  std::string journal_path;
  int fd = -1;
  bool writable = false;
  haddr_t eoa = 0;
  haddr_t eof = 0;
  uint64_t base_size = 0;  // file size at open: bytes below it are journaled before change
  int journal_fd = -1;
  off_t journal_end = 0;
  bool failed = false;  // a write or truncate failed: roll back at close
  dev_t dev = 0;
  ino_t ino = 0;
};

struct JournalFile {
  H5FD_t pub;  // first member: HDF5 sees a JournalFile as its H5FD_t
  Session* s;
};

Session* Get(const H5FD_t* file) { return reinterpret_cast<const JournalFile*>(file)->s; }

// Open read-write sessions by path (for AbortHdf5Session). Callers serialize HDF5 calls, and
// the driver runs only inside them, so the map needs no lock of its own.
std::map<std::string, Session*>& OpenSessions() {
  static std::map<std::string, Session*> sessions;
  return sessions;
}

Status RollbackOpenFile(const std::string& path, int fd) {
  const std::string journal = Hdf5JournalPath(path);
  int jfd = ::open(journal.c_str(), O_RDONLY);
  if (jfd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return IoError(journal + ": cannot read the journal: " + std::strerror(errno));
  }
  char header[kHeaderSize];
  const ssize_t got = ::pread(jfd, header, kHeaderSize, 0);
  if (got != static_cast<ssize_t>(kHeaderSize) || std::memcmp(header, kMagic, 8) != 0) {
    // The header is written and synced before the file is touched: no header, no change.
    ::close(jfd);
    if (::unlink(journal.c_str()) != 0) {
      return IoError(journal + ": cannot remove: " + std::strerror(errno));
    }
    SyncDir(journal);
    return Status::Ok();
  }
  uint64_t base_size = 0;
  std::memcpy(&base_size, header + 8, 8);
  struct Record {
    uint64_t addr;
    std::vector<char> bytes;
  };
  std::vector<Record> records;
  off_t at = kHeaderSize;
  while (true) {
    uint64_t head[2];
    if (::pread(jfd, head, sizeof head, at) != static_cast<ssize_t>(sizeof head)) break;
    if (head[1] > (uint64_t{1} << 32)) break;  // a torn length
    Record r{head[0], std::vector<char>(head[1])};
    uint64_t checksum = 0;
    if (!ReadAll(jfd, r.bytes.data(), r.bytes.size(), at + 16) ||
        ::pread(jfd, &checksum, 8, at + 16 + static_cast<off_t>(head[1])) != 8 ||
        checksum != RecordChecksum(head[0], head[1], r.bytes.data())) {
      break;  // a torn last record: its overwrite had not started
    }
    at += 16 + static_cast<off_t>(head[1]) + 8;
    records.push_back(std::move(r));
  }
  ::close(jfd);
  if (::ftruncate(fd, static_cast<off_t>(base_size)) != 0) {
    return IoError(path + ": rollback: cannot truncate: " + std::strerror(errno));
  }
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (!WriteAll(fd, it->bytes.data(), it->bytes.size(), static_cast<off_t>(it->addr))) {
      return IoError(path + ": rollback: cannot restore bytes: " + std::strerror(errno));
    }
  }
  if (::fsync(fd) != 0) return IoError(path + ": rollback: fsync: " + std::strerror(errno));
  if (::unlink(journal.c_str()) != 0) {
    return IoError(journal + ": cannot remove after rollback: " + std::strerror(errno));
  }
  SyncDir(journal);
  return Status::Ok();
}

bool StartJournal(Session* s) {
  s->journal_fd = ::open(s->journal_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s->journal_fd < 0) {
    SetError(s->journal_path + ": cannot create the journal: " + std::strerror(errno), errno);
    return false;
  }
  char header[kHeaderSize] = {};
  std::memcpy(header, kMagic, 8);
  std::memcpy(header + 8, &s->base_size, 8);
  if (!WriteAll(s->journal_fd, header, kHeaderSize, 0) || ::fdatasync(s->journal_fd) != 0) {
    SetError(s->journal_path + ": cannot write the journal: " + std::strerror(errno), errno);
    return false;
  }
  SyncDir(s->journal_path);
  s->journal_end = kHeaderSize;
  return true;
}

// Saves the original bytes of [addr, addr+size) that lie below the size at open.
bool SaveUndo(Session* s, haddr_t addr, size_t size) {
  if (s->journal_fd < 0 && !StartJournal(s)) return false;
  if (addr >= s->base_size || size == 0) return true;
  const uint64_t len = std::min<uint64_t>(size, s->base_size - addr);
  std::vector<char> record(16 + len + 8);
  const uint64_t head[2] = {addr, len};
  std::memcpy(record.data(), head, 16);
  if (!ReadAll(s->fd, record.data() + 16, len, static_cast<off_t>(addr))) {
    SetError(s->path + ": cannot read bytes to journal: " + std::strerror(errno), errno);
    return false;
  }
  const uint64_t checksum = RecordChecksum(addr, len, record.data() + 16);
  std::memcpy(record.data() + 16 + len, &checksum, 8);
  if (!WriteAll(s->journal_fd, record.data(), record.size(), s->journal_end) ||
      ::fdatasync(s->journal_fd) != 0) {
    SetError(s->journal_path + ": cannot write the journal: " + std::strerror(errno), errno);
    return false;
  }
  s->journal_end += static_cast<off_t>(record.size());
  return true;
}

H5FD_t* DriverOpen(const char* name, unsigned flags, hid_t, haddr_t maxaddr) {
  auto s = std::make_unique<Session>();
  s->path = name;
  s->journal_path = Hdf5JournalPath(name);
  s->writable = (flags & H5F_ACC_RDWR) != 0;
  int oflags = s->writable ? O_RDWR : O_RDONLY;
  if (flags & H5F_ACC_CREAT) oflags |= O_CREAT;
  if (flags & H5F_ACC_TRUNC) oflags |= O_TRUNC;
  if (flags & H5F_ACC_EXCL) oflags |= O_EXCL;
  s->fd = ::open(name, oflags | O_CLOEXEC, 0644);
  if (s->fd < 0) {
    SetError(std::string(name) + ": cannot open: " + std::strerror(errno), errno);
    return nullptr;
  }
  if (::flock(s->fd, (s->writable ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    const int err = errno;
    SetError(std::string(name) + ": in use by another process (" + std::strerror(err) + ")", err);
    ::close(s->fd);
    return nullptr;
  }
  if (::access(s->journal_path.c_str(), F_OK) == 0) {
    if (!s->writable) {
      SetError(std::string(name) +
                   ": an interrupted write left a journal; open the file read-write once "
                   "(e.g. start the coordinator) to roll it back",
               EAGAIN);
      ::close(s->fd);
      return nullptr;
    }
    Status rolled = RollbackOpenFile(s->path, s->fd);
    if (!rolled.ok()) {
      SetError(rolled.message(), EIO);
      ::close(s->fd);
      return nullptr;
    }
  }
  struct stat st;
  if (::fstat(s->fd, &st) != 0) {
    SetError(std::string(name) + ": fstat: " + std::strerror(errno), errno);
    ::close(s->fd);
    return nullptr;
  }
  s->eof = static_cast<haddr_t>(st.st_size);
  s->base_size = static_cast<uint64_t>(st.st_size);
  s->dev = st.st_dev;
  s->ino = st.st_ino;
  if (s->writable) OpenSessions()[s->path] = s.get();
  auto* file = static_cast<JournalFile*>(std::calloc(1, sizeof(JournalFile)));
  file->pub.maxaddr = maxaddr;
  file->s = s.release();
  return &file->pub;
}

herr_t DriverClose(H5FD_t* file) {
  Session* s = Get(file);
  auto registered = OpenSessions().find(s->path);
  if (registered != OpenSessions().end() && registered->second == s) {
    OpenSessions().erase(registered);
  }
  herr_t result = 0;
  if (s->failed) {
    if (s->journal_fd >= 0) ::close(s->journal_fd);
    s->journal_fd = -1;
    Status rolled = RollbackOpenFile(s->path, s->fd);
    if (!rolled.ok()) {
      SetError(rolled.message(), EIO);
      result = -1;
    }
  } else if (s->writable) {
    if (::fsync(s->fd) != 0) {
      // Not durable: keep the journal, so the next open rolls the session back.
      SetError(s->path + ": fsync: " + std::strerror(errno), errno);
      result = -1;
    } else if (s->journal_fd >= 0) {
      ::close(s->journal_fd);
      s->journal_fd = -1;
      ::unlink(s->journal_path.c_str());  // the commit point
      SyncDir(s->journal_path);
    }
  }
  if (s->journal_fd >= 0) ::close(s->journal_fd);
  ::close(s->fd);
  delete s;
  std::free(file);
  return result;
}

int DriverCmp(const H5FD_t* a, const H5FD_t* b) {
  const Session* x = Get(a);
  const Session* y = Get(b);
  if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
  return 0;
}

herr_t DriverQuery(const H5FD_t*, unsigned long* flags) {
  // As sec2: metadata aggregation and accumulation, data sieving, small-data aggregation.
  *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
           H5FD_FEAT_AGGREGATE_SMALLDATA;
  return 0;
}

haddr_t DriverGetEoa(const H5FD_t* file, H5FD_mem_t) { return Get(file)->eoa; }

herr_t DriverSetEoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) {
  Get(file)->eoa = addr;
  return 0;
}

haddr_t DriverGetEof(const H5FD_t* file, H5FD_mem_t) { return Get(file)->eof; }

herr_t DriverGetHandle(H5FD_t* file, hid_t, void** handle) {
  *handle = &Get(file)->fd;
  return 0;
}

herr_t DriverRead(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buf) {
  Session* s = Get(file);
  if (!ReadAll(s->fd, buf, size, static_cast<off_t>(addr))) {
    SetError(s->path + ": read failed: " + std::strerror(errno), errno);
    return -1;
  }
  return 0;
}

herr_t DriverWrite(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, const void* buf) {
  Session* s = Get(file);
  if (!s->writable) {
    SetError(s->path + ": write to a file opened read-only", EBADF);
    return -1;
  }
  if (!SaveUndo(s, addr, size)) {
    s->failed = true;
    return -1;
  }
  if (!WriteAll(s->fd, buf, size, static_cast<off_t>(addr))) {
    SetError(s->path + ": write failed: " + std::strerror(errno), errno);
    s->failed = true;
    return -1;
  }
  s->eof = std::max<haddr_t>(s->eof, addr + size);
  return 0;
}

herr_t DriverFlush(H5FD_t* file, hid_t, hbool_t) {
  // Durability is settled at close (the commit point); nothing to do here.
  (void)file;
  return 0;
}

herr_t DriverTruncate(H5FD_t* file, hid_t, hbool_t) {
  Session* s = Get(file);
  if (s->eoa == s->eof) return 0;
  if (!s->writable) return 0;
  if (s->eoa < s->eof && !SaveUndo(s, s->eoa, static_cast<size_t>(s->eof - s->eoa))) {
    s->failed = true;
    return -1;
  }
  if (s->journal_fd < 0 && !StartJournal(s)) {
    s->failed = true;
    return -1;
  }
  if (::ftruncate(s->fd, static_cast<off_t>(s->eoa)) != 0) {
    SetError(s->path + ": truncate failed: " + std::strerror(errno), errno);
    s->failed = true;
    return -1;
  }
  s->eof = s->eoa;
  return 0;
}

H5FD_class_t MakeClass() {
  H5FD_class_t c;
  std::memset(&c, 0, sizeof c);
  c.name = "chromatune_journal";
  c.maxaddr = static_cast<haddr_t>(std::numeric_limits<off_t>::max());
  c.fc_degree = H5F_CLOSE_WEAK;
  c.open = DriverOpen;
  c.close = DriverClose;
  c.cmp = DriverCmp;
  c.query = DriverQuery;
  c.get_eoa = DriverGetEoa;
  c.set_eoa = DriverSetEoa;
  c.get_eof = DriverGetEof;
  c.get_handle = DriverGetHandle;
  c.read = DriverRead;
  c.write = DriverWrite;
  c.flush = DriverFlush;
  c.truncate = DriverTruncate;
  const H5FD_mem_t map[H5FD_MEM_NTYPES] = H5FD_FLMAP_DICHOTOMY;
  std::memcpy(c.fl_map, map, sizeof map);
  return c;
}

}  // namespace

std::string Hdf5JournalPath(const std::string& path) { return path + ".journal"; }

Result<hid_t> JournaledFileAccess() {
  static const H5FD_class_t kClass = MakeClass();
  static hid_t driver = -1;
  static std::once_flag once;
  std::call_once(once, [] { driver = H5FDregister(&kClass); });
  if (driver < 0) return Internal("cannot register the chromatune HDF5 journal driver");
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return Internal("H5Pcreate(H5P_FILE_ACCESS) failed");
  if (H5Pset_driver(fapl, driver, nullptr) < 0) {
    H5Pclose(fapl);
    return Internal("cannot select the chromatune HDF5 journal driver");
  }
  return fapl;
}

Status RollbackHdf5Journal(const std::string& path) {
  if (::access(Hdf5JournalPath(path).c_str(), F_OK) != 0) return Status::Ok();
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return IoError(path + ": cannot open to roll back: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Unavailable(path + ": in use by another process");
  }
  Status s = RollbackOpenFile(path, fd);
  ::close(fd);
  return s;
}

void AbortHdf5Session(const std::string& path) {
  auto it = OpenSessions().find(path);
  if (it != OpenSessions().end()) it->second->failed = true;
}

Hdf5DriverError TakeHdf5DriverError() {
  Hdf5DriverError e = last_error;
  last_error = {};
  return e;
}

}  // namespace chromatune
