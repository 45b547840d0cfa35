// Diagnostics: every problem found in one sweep file, reported together.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "experiments/sweep/spec.h"

namespace chromatune {

class Diagnostics {
 public:
  explicit Diagnostics(std::string origin) : origin_(std::move(origin)) {}

  // Records "ORIGIN:LINE:COL: PATH: message" (the PATH part is left out when `path` is
  // empty; LINE:COL when `mark` is unknown). The same line twice is kept once.
  void Add(SourceMark mark, const std::string& path, const std::string& message);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::string& origin() const { return origin_; }

  // The lines, ordered by position in the file (ties in the order they were added).
  std::vector<std::string> Lines() const;
  // kInvalidArgument with Lines() joined by '\n'; ok when empty.
  Status ToStatus() const;

 private:
  struct Entry {
    SourceMark mark;
    std::string text;
  };
  std::string origin_;
  std::vector<Entry> entries_;
};

}  // namespace chromatune
