#include "storage/hdf5_handle.h"

#include <cerrno>
#include <mutex>

#include "storage/hdf5_journal.h"

namespace chromatune {
namespace {

herr_t CollectMessage(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc != nullptr) *out = err->desc;  // innermost: the cause
  return 0;
}

}  // namespace

void SilenceHdf5Errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

Status Hdf5Error(const std::string& path, const std::string& what) {
  std::string hdf5_message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectMessage, &hdf5_message);
  H5Eclear2(H5E_DEFAULT);
  Hdf5DriverError driver = TakeHdf5DriverError();
  std::string message = path + ": " + what;
  if (!driver.message.empty()) {
    message += ": " + driver.message;
  } else if (!hdf5_message.empty()) {
    message += ": " + hdf5_message;
  }
  switch (driver.sys_errno) {
    case ENOSPC:
    case EFBIG:
    case EDQUOT:
      return ResourceExhausted(message + " (the disk is full; the file was rolled back)");
    case EWOULDBLOCK:  // a lock held by another process, or a journal left to roll back
      return Unavailable(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDenied(message);
    default:
      return IoError(message);
  }
}

}  // namespace chromatune
