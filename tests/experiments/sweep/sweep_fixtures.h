// Helpers for sweep tests: a temporary directory for fixture files and YAML builders.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/status.h"

namespace chromatune::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        (std::filesystem::path(tmp && *tmp ? tmp : "/tmp") / "sweep-test-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    const char* made = mkdtemp(buffer.data());
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `text` to path()/name and returns the full path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string full = (std::filesystem::path(path_) / name).string();
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full, std::ios::binary) << text;
    return full;
  }

 private:
  std::string path_;
};

// Lines of a multi-line status message.
inline std::vector<std::string> MessageLines(const Status& status) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : status.message()) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// A valid classification sweep head; append "methods:" entries to it.
inline std::string ClassificationHead() {
  return "name: t\n"
         "task: classification\n"
         "dataset: fashion-mnist\n"
         "shots: [0, 1, 2]\n";
}

}  // namespace chromatune::testing
