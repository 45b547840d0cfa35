#include "experiments/models/clip/text_clean.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <iterator>

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "experiments/models/clip/html_entities.h"

namespace chromatune::models::clip {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

std::u32string FromIcu(const icu::UnicodeString& s) {
  std::u32string out(static_cast<size_t>(s.countChar32()), U'\0');
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n =
      s.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), status);
  out.resize(U_SUCCESS(status) ? static_cast<size_t>(n) : 0);
  return out;
}

icu::UnicodeString ToIcu(std::u32string_view s) {
  return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(s.data()),
                                       static_cast<int32_t>(s.size()));
}

// ICU's built-in normalizers; they live in ICU's static data, so the lookup cannot fail
// short of a broken ICU installation (checked, aborting, at first use).
const icu::Normalizer2& Normalizer(bool compatibility) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = compatibility ? icu::Normalizer2::getNFKCInstance(status)
                                            : icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || n == nullptr) std::abort();
  return *n;
}

// ftfy (6.x) fix_latin_ligatures: Latin ligatures and digraphs and the letters they split
// into.
struct LigatureSplit {
  char32_t ligature;
  const char32_t* letters;
};
// clang-format off
constexpr LigatureSplit kLigatures[] = {
    {0x0132, U"IJ"}, {0x0133, U"ij"}, {0x0149, U"\u02BCn"}, {0x01F1, U"DZ"}, {0x01F2, U"Dz"},
    {0x01F3, U"dz"}, {0x01C4, U"D\u017D"}, {0x01C5, U"D\u017E"}, {0x01C6, U"d\u017E"},
    {0x01C7, U"LJ"}, {0x01C8, U"Lj"}, {0x01C9, U"lj"}, {0x01CA, U"NJ"}, {0x01CB, U"Nj"},
    {0x01CC, U"nj"}, {0xFB00, U"ff"}, {0xFB01, U"fi"}, {0xFB02, U"fl"}, {0xFB03, U"ffi"},
    {0xFB04, U"ffl"}, {0xFB05, U"\u017Ft"}, {0xFB06, U"st"},
};
// clang-format on

// The letters of ligature `c`; nullptr for everything else.
const char32_t* Ligature(char32_t c) {
  if (c < 0x0132 || (c > 0x01F3 && c < 0xFB00) || c > 0xFB06) return nullptr;
  for (const LigatureSplit& l : kLigatures) {
    if (l.ligature == c) return l.letters;
  }
  return nullptr;
}

// ftfy.fix_character_width: U+FF01..U+FFEF map to their NFKC form where it differs.
constexpr char32_t kWidthFirst = 0xFF01;
constexpr char32_t kWidthLast = 0xFFEF;
const std::array<std::u32string, kWidthLast - kWidthFirst + 1>& WidthTable() {
  static const auto* table = [] {
    auto* t = new std::array<std::u32string, kWidthLast - kWidthFirst + 1>();
    const icu::Normalizer2& nfkc = Normalizer(/*compatibility=*/true);
    for (char32_t c = kWidthFirst; c <= kWidthLast; ++c) {
      UErrorCode status = U_ZERO_ERROR;
      const std::u32string one(1, c);
      std::u32string mapped = FromIcu(nfkc.normalize(ToIcu(one), status));
      if (U_SUCCESS(status) && mapped != one) (*t)[c - kWidthFirst] = std::move(mapped);
    }
    return t;
  }();
  return *table;
}

bool IsAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool IsAsciiHexDigit(char32_t c) {
  return IsAsciiDigit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
int HexValue(char32_t c) {
  if (IsAsciiDigit(c)) return static_cast<int>(c - U'0');
  if (c >= U'a' && c <= U'f') return static_cast<int>(c - U'a' + 10);
  return static_cast<int>(c - U'A' + 10);
}

// windows-1252 meanings of the numeric references &#128; .. &#159; (html._invalid_charrefs).
constexpr std::array<char32_t, 32> kCp1252 = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Appends what html.unescape makes of the numeric reference `num` (saturated at 0x110000).
void AppendNumericReference(uint32_t num, std::u32string* out) {
  if (num == 0) {
    out->push_back(kReplacement);
  } else if (num == 0x0D) {
    out->push_back(U'\r');
  } else if (num >= 0x80 && num <= 0x9F) {
    out->push_back(kCp1252[num - 0x80]);
  } else if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
    out->push_back(kReplacement);
  } else if ((num >= 0x01 && num <= 0x08) || num == 0x0B || (num >= 0x0E && num <= 0x1F) ||
             num == 0x7F || (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE) {
    // HTML's forbidden code points: dropped.
  } else {
    out->push_back(static_cast<char32_t>(num));
  }
}

void AppendUtf8Value(const char* utf8, std::u32string* out) {
  // Table values are valid UTF-8 by construction.
  Result<std::u32string> decoded = DecodeUtf8(utf8);
  if (decoded.ok()) out->append(*decoded);
}

bool IsNameChar(char32_t c) {
  return c != U'\t' && c != U'\n' && c != U'\f' && c != U' ' && c != U'<' && c != U'&' &&
         c != U'#' && c != U';';
}

// Parses one reference starting at text[i] == '&' the way html.unescape's pattern
// &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) does; appends its replacement and
// returns the index after it, or returns i when nothing matches there.
size_t UnescapeAt(std::u32string_view text, size_t i, std::u32string* out) {
  const size_t n = text.size();
  size_t j = i + 1;
  if (j < n && text[j] == U'#') {
    const bool hex = j + 1 < n && (text[j + 1] == U'x' || text[j + 1] == U'X');
    size_t k = hex ? j + 2 : j + 1;
    const size_t digits_begin = k;
    uint32_t num = 0;
    while (k < n && (hex ? IsAsciiHexDigit(text[k]) : IsAsciiDigit(text[k]))) {
      const uint32_t digit = hex ? HexValue(text[k]) : static_cast<uint32_t>(text[k] - U'0');
      num = std::min<uint32_t>(num * (hex ? 16 : 10) + digit, 0x110000);
      ++k;
    }
    if (k == digits_begin) return i;
    if (k < n && text[k] == U';') ++k;
    AppendNumericReference(num, out);
    return k;
  }
  size_t k = j;
  while (k < n && k - j < 32 && IsNameChar(text[k])) ++k;
  if (k == j) return i;
  const std::u32string_view name = text.substr(j, k - j);
  const bool semicolon = k < n && text[k] == U';';
  const size_t end = semicolon ? k + 1 : k;
  if (const HtmlEntity* e = FindEntity(name); e != nullptr && (semicolon || e->legacy)) {
    AppendUtf8Value(e->value, out);
    return end;
  }
  // The longest legacy name that is a proper prefix of `name` + optional ';' (at least two
  // characters); the rest is kept as written.
  for (size_t len = std::min(name.size() + (semicolon ? 1 : 0) - 1, name.size()); len >= 2; --len) {
    const HtmlEntity* e = FindEntity(name.substr(0, len));
    if (e != nullptr && e->legacy) {
      AppendUtf8Value(e->value, out);
      out->append(text.substr(j + len, end - (j + len)));
      return end;
    }
  }
  out->append(text.substr(i, end - i));
  return end;
}

}  // namespace

Result<std::u32string> DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    size_t len = 0;
    char32_t c = 0;
    char32_t min = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2, c = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3, c = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4, c = b & 0x07, min = 0x10000;
    }
    bool valid = len != 0 && i + len <= n;
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (s[i + k] & 0xC0) == 0x80;
      c = (c << 6) | (s[i + k] & 0x3F);
    }
    if (!valid || c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      return InvalidArgument("invalid UTF-8 at byte offset " + std::to_string(i));
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = kReplacement;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::u32string FixText(std::u32string_view text) {
  const auto& width = WidthTable();
  std::u32string fixed;
  fixed.reserve(text.size());
  for (char32_t c : text) {
    if (const char32_t* parts = Ligature(c)) {
      fixed.append(parts);
    } else if (c == 0x3000) {
      fixed.push_back(U' ');
    } else if (c >= kWidthFirst && c <= kWidthLast && !width[c - kWidthFirst].empty()) {
      fixed.append(width[c - kWidthFirst]);
    } else {
      fixed.push_back(c);
    }
  }
  // uncurl_quotes runs after the width fix, which cannot produce curly quotes.
  for (char32_t& c : fixed) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      c = U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      c = U'"';
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString nfc = Normalizer(/*compatibility=*/false).normalize(ToIcu(fixed), status);
  return U_SUCCESS(status) ? FromIcu(nfc) : fixed;
}

std::u32string HtmlUnescape(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == U'&') {
      const size_t next = UnescapeAt(text, i, &out);
      if (next != i) {
        i = next;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

bool IsRegexSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool IsPythonSpace(char32_t c) { return IsRegexSpace(c) || (c >= 0x1C && c <= 0x1F); }

std::u32string StripPythonSpace(std::u32string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && IsPythonSpace(text[begin])) ++begin;
  while (end > begin && IsPythonSpace(text[end - 1])) --end;
  return std::u32string(text.substr(begin, end - begin));
}

std::u32string WhitespaceClean(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (IsRegexSpace(text[i])) {
      out.push_back(U' ');
      while (i < text.size() && IsRegexSpace(text[i])) ++i;
    } else {
      out.push_back(text[i++]);
    }
  }
  return StripPythonSpace(out);
}

std::u32string Lowercase(std::u32string_view text) {
  icu::UnicodeString s = ToIcu(text);
  s.toLower(icu::Locale::getRoot());
  return FromIcu(s);
}

Result<std::u32string> CleanCodePoints(std::string_view text) {
  CT_ASSIGN_OR_RETURN(std::u32string decoded, DecodeUtf8(text));
  std::u32string fixed = FixText(decoded);
  std::u32string unescaped = StripPythonSpace(HtmlUnescape(HtmlUnescape(fixed)));
  return Lowercase(WhitespaceClean(unescaped));
}

Result<std::string> CleanText(std::string_view text) {
  CT_ASSIGN_OR_RETURN(std::u32string cleaned, CleanCodePoints(text));
  return EncodeUtf8(cleaned);
}

}  // namespace chromatune::models::clip
