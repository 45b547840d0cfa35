#include "experiments/sweep/diagnostics.h"

#include <algorithm>

namespace chromatune {

void Diagnostics::Add(SourceMark mark, const std::string& path, const std::string& message) {
  std::string text = origin_ + ":";
  if (mark.line > 0) text += std::to_string(mark.line) + ":" + std::to_string(mark.column) + ":";
  text += " ";
  if (!path.empty()) text += path + ": ";
  text += message;
  for (const auto& e : entries_) {
    if (e.text == text) return;
  }
  entries_.push_back({mark, std::move(text)});
}

std::vector<std::string> Diagnostics::Lines() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    if (a.mark.line != b.mark.line) return a.mark.line < b.mark.line;
    return a.mark.column < b.mark.column;
  });
  std::vector<std::string> lines;
  lines.reserve(sorted.size());
  for (auto& e : sorted) lines.push_back(std::move(e.text));
  return lines;
}

Status Diagnostics::ToStatus() const {
  if (entries_.empty()) return Status::Ok();
  std::string message;
  for (const auto& line : Lines()) {
    if (!message.empty()) message += '\n';
    message += line;
  }
  return InvalidArgument(std::move(message));
}

}  // namespace chromatune
