#include "experiments/methods/prompt_text.h"

#include <cstdint>

namespace chromatune::methods {
namespace {

bool StartsWithArticle(const std::string& s) {
  for (const char* a : {"a ", "an ", "the "}) {
    if (s.rfind(a, 0) == 0) return true;
  }
  return false;
}

// Replaces every `placeholder` in `text` by `value`; when `value` starts with an article,
// an article word directly before the placeholder is removed.
std::string ReplaceAll(std::string text, const std::string& placeholder, const std::string& value) {
  const bool value_has_article = StartsWithArticle(value);
  size_t pos = 0;
  while ((pos = text.find(placeholder, pos)) != std::string::npos) {
    size_t start = pos;
    if (value_has_article) {
      for (const std::string a : {"a ", "an ", "the "}) {
        if (start >= a.size() && text.compare(start - a.size(), a.size(), a) == 0 &&
            (start == a.size() || text[start - a.size() - 1] == ' ')) {
          start -= a.size();
          break;
        }
      }
    }
    text.replace(start, pos + placeholder.size() - start, value);
    pos = start + value.size();
  }
  return text;
}

}  // namespace

std::string FillTemplate(const std::string& templ, const std::string& name,
                         const std::string& color) {
  std::string out = ReplaceAll(templ, "{query}", name);
  out = ReplaceAll(out, "{}", name);
  if (!color.empty()) out = ReplaceAll(out, "[MASK]", color);
  return out;
}

}  // namespace chromatune::methods
