// HTML5's named character references (the WHATWG list behind Python's html.entities.html5),
// for CLIP's text cleaning (html.unescape, text_clean.h).
#pragma once

#include <string_view>

namespace chromatune::models::clip {

// One named character reference, without its ';'. `legacy` names also match without the
// ';' (the ~100 names HTML inherited from HTML 4 / Latin-1).
struct HtmlEntity {
  const char* name;
  const char* value;  // UTF-8
  bool legacy;
};

// The entity named exactly `name` (case-sensitive, no ';'), or nullptr.
const HtmlEntity* FindEntity(std::u32string_view name);

}  // namespace chromatune::models::clip
