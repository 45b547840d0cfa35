#include "common/regular_file.h"

#include <filesystem>

namespace chromatune {

Status RequireRegularFile(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return NotFound(what + " not found: " + path);
  if (fs::is_directory(st)) return InvalidArgument(what + " is a directory, not a file: " + path);
  if (!fs::is_regular_file(st)) {
    return InvalidArgument(what + " is not a regular file (a device, FIFO or socket): " + path);
  }
  return Status::Ok();
}

}  // namespace chromatune
