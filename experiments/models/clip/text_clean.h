// Text normalisation that CLIP applies before byte-level BPE (see bpe_tokenizer.h).
//
// CleanText(text) = Lowercase(WhitespaceClean(StripPythonSpace(
//                       HtmlUnescape(HtmlUnescape(FixText(text))))))
// which mirrors the reference's whitespace_clean(basic_clean(text)).lower(), where
// basic_clean is ftfy.fix_text, html.unescape twice and str.strip().
//
// FixText covers the parts of ftfy (6.x) fix_text that change clean (non-mojibake) text: Latin
// ligatures split (fix_latin_ligatures), full-width and half-width forms U+FF01..U+FFEF and
// the ideographic space U+3000 to their NFKC form (fix_character_width), curly single
// quotes U+02BC U+2018..U+201B to ' and double quotes U+201C..U+201F to " (uncurl_quotes),
// then Unicode NFC. Mojibake repair, terminal-escape and control-character removal are not
// done.
//
// All functions are pure and thread-safe. Code point strings (std::u32string) never hold
// surrogates or values above U+10FFFF when they come from DecodeUtf8.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace chromatune::models::clip {

// Strict UTF-8 decoding (no overlong forms, surrogates or values above U+10FFFF). An
// invalid sequence gives InvalidArgument naming its byte offset.
Result<std::u32string> DecodeUtf8(std::string_view text);
// UTF-8 encoding of code points; a surrogate or value above U+10FFFF becomes U+FFFD.
std::string EncodeUtf8(std::u32string_view text);

// The ftfy.fix_text subset described above.
std::u32string FixText(std::u32string_view text);

// One pass of Python's html.unescape: named references of the HTML5 list (the ~100 legacy
// names such as "amp", "lt", "eacute" also without ';', longest such prefix first),
// "&#NNN;" and "&#xHH;" with or without ';'. Code point 0 and numbers that are surrogates
// or above U+10FFFF give U+FFFD, 0x80..0x9F use the windows-1252 remap, and the code points
// HTML forbids (most C0/C1 controls, noncharacters) are dropped.
std::u32string HtmlUnescape(std::u32string_view text);

// Python `regex` module's \s (also under IGNORECASE), which is Unicode White_Space:
// \t \n \v \f \r, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000. Not U+001C..U+001F (checked against python3-regex 2022.10.31).
bool IsRegexSpace(char32_t c);
// Python's str.isspace() (what str.strip() removes): IsRegexSpace plus U+001C..U+001F.
bool IsPythonSpace(char32_t c);

// str.strip(): removes IsPythonSpace code points at both ends.
std::u32string StripPythonSpace(std::u32string_view text);
// regex.sub(r'\s+', ' ', text).strip().
std::u32string WhitespaceClean(std::u32string_view text);
// Python's str.lower(): full Unicode lowercase mapping (e.g. U+0130 -> "i\u0307") with the
// final-sigma rule, as ICU's root-locale lowercasing does.
std::u32string Lowercase(std::u32string_view text);

// The whole pipeline, as code points and as UTF-8. Errors: invalid UTF-8 input.
Result<std::u32string> CleanCodePoints(std::string_view text);
Result<std::string> CleanText(std::string_view text);

}  // namespace chromatune::models::clip
