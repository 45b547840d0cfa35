#include "experiments/models/clip/text_clean.h"

#include <string>

#include <gtest/gtest.h>

namespace chromatune::models::clip {
namespace {

// UTF-8 in, UTF-8 out wrappers over the code point functions.
std::u32string U32(const std::string& utf8) {
  Result<std::u32string> decoded = DecodeUtf8(utf8);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded.ok() ? *decoded : std::u32string();
}
std::string Fix(const std::string& s) { return EncodeUtf8(FixText(U32(s))); }
std::string Unescape(const std::string& s) { return EncodeUtf8(HtmlUnescape(U32(s))); }
std::string Lower(const std::string& s) { return EncodeUtf8(Lowercase(U32(s))); }
std::string Clean(const std::string& s) {
  Result<std::string> cleaned = CleanText(s);
  EXPECT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  return cleaned.ok() ? *cleaned : "<error>";
}

TEST(Utf8Test, RoundTripsAndRejectsInvalidSequences) {
  const std::string text = "a é 日 😀";
  EXPECT_EQ(U32(text), U"a é 日 😀");
  EXPECT_EQ(EncodeUtf8(U32(text)), text);
  EXPECT_EQ(EncodeUtf8(std::u32string(1, char32_t{0xD800})), "\uFFFD");

  for (const auto& [bad, offset] : std::vector<std::pair<std::string, int>>{
           {"\x80", 0},                  // lone continuation byte
           {"ab\xc3", 2},                // truncated
           {"\xc1\xbf", 0},              // overlong 2-byte
           {"\xe0\x80\xaf", 0},          // overlong 3-byte
           {"ok\xed\xb0\x80", 2},        // surrogate
           {"\xf4\x90\x80\x80", 0},      // above U+10FFFF
           {"\xf8\x88\x80\x80\x80", 0},  // 5-byte form
           {"a\xc3(", 1},                // bad continuation
       }) {
    Result<std::u32string> decoded = DecodeUtf8(bad);
    ASSERT_FALSE(decoded.ok()) << "offset " << offset;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("byte offset " + std::to_string(offset)),
              std::string::npos)
        << decoded.status().message();
    EXPECT_FALSE(CleanText(bad).ok());
  }
}

TEST(FixTextTest, LigaturesWidthsQuotesAndNfc) {
  EXPECT_EQ(Fix("ﬁne ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ"), "fine flow ff ffi ffl ſt st");
  EXPECT_EQ(Fix("Ĳ ĳ ǅ ǉ"), "IJ ij Dž lj");
  EXPECT_EQ(Fix("Œuvre æ"), "Œuvre æ");  // not ligatures to ftfy
  EXPECT_EQ(Fix("Ｈｅｌｌｏ！　１２３"), "Hello! 123");
  EXPECT_EQ(Fix("ﾊﾝｶｸ ￡"), "ハンカク £");  // half-width forms too (NFKC of U+FF01..U+FFEF)
  EXPECT_EQ(Fix("‘a’ ‚b‛ “c” „d‟ ʼe"), "'a' 'b' \"c\" \"d\" 'e");
  EXPECT_EQ(Fix("′prime″"), "′prime″");  // ftfy leaves primes alone
  EXPECT_EQ(Fix("e\u0301 A\u030a n\u0303"), "é Å ñ");
  EXPECT_EQ(Fix("Ａ\u0301"), "Á");  // width fix before NFC
}

TEST(HtmlUnescapeTest, NamedReferences) {
  EXPECT_EQ(Unescape("&amp;amp;"), "&amp;");
  EXPECT_EQ(Unescape(Unescape("&amp;amp;")), "&");
  EXPECT_EQ(Unescape("&lt;b&gt; &quot;q&quot; &apos;a&apos;"), "<b> \"q\" 'a'");
  EXPECT_EQ(Unescape("caf&eacute; &hellip; &mdash; &copy; &nbsp;."), "café … — © \u00a0.");
  EXPECT_EQ(Unescape("&NotEqualTilde; &bigstar; &NewLine;"), "\u2242\u0338 ★ \n");
  // Legacy names match without ';', also as the longest prefix of a longer name.
  EXPECT_EQ(Unescape("&amp &AMP &eacute! &ampx &notit; &copysr;"), "& & é! &x ¬it; ℗");
  // Names that are not legacy need the ';'.
  EXPECT_EQ(Unescape("&hellip &apos"), "&hellip &apos");
  EXPECT_EQ(Unescape("&unknown; &; & b &Amp;"), "&unknown; &; & b &Amp;");
  // At most 32 name characters are looked at.
  const std::string long_name = "&" + std::string(40, 'a') + ";";
  EXPECT_EQ(Unescape(long_name), long_name);
}

TEST(HtmlUnescapeTest, NumericReferences) {
  EXPECT_EQ(Unescape("&#39;&#x41;&#X42;&#67"), "'ABC");
  EXPECT_EQ(Unescape("&#233;t&#xE9;"), "été");
  EXPECT_EQ(Unescape("&#128; &#x96; &#159;"), "€ – Ÿ");  // windows-1252 remap
  EXPECT_EQ(Unescape("&#0;|&#xD800;|&#x110000;|&#99999999999999999999;"),
            "\uFFFD|\uFFFD|\uFFFD|\uFFFD");
  EXPECT_EQ(Unescape("a&#1;b&#x0B;c&#xFDD0;d&#xFFFE;e&#x10FFFF;f"), "abcdef");  // dropped
  EXPECT_EQ(Unescape("&#13;&#9;&#12;"), "\r\t\f");
  EXPECT_EQ(Unescape("&#; &#x; &#xg; &#-1;"), "&#; &#x; &#xg; &#-1;");
  EXPECT_EQ(Unescape("&#x1F600;"), "😀");
}

TEST(WhitespaceTest, CollapsesAndStrips) {
  EXPECT_EQ(EncodeUtf8(WhitespaceClean(U"  a \t\n b\r\n\u3000c\u00a0 ")), "a b c");
  // U+001C..U+001F: str.strip() removes them, regex \s does not match them.
  EXPECT_EQ(EncodeUtf8(WhitespaceClean(U"\x1c a\x1d"
                                       U"b \x1f")),
            "a\x1d"
            "b");
  EXPECT_TRUE(IsRegexSpace(0x2028));
  EXPECT_FALSE(IsRegexSpace(0x200B));
  EXPECT_FALSE(IsRegexSpace(0x1C));
  EXPECT_TRUE(IsPythonSpace(0x1C));
}

TEST(LowercaseTest, MatchesPythonStrLower) {
  EXPECT_EQ(Lower("HELLO Über ÀÉÎ"), "hello über àéî");
  EXPECT_EQ(Lower("İ"), "i\u0307");            // full mapping
  EXPECT_EQ(Lower("ΟΔΟΣ Σ ΣΑ"), "οδος σ σα");  // final sigma
  EXPECT_EQ(Lower("ẞ ǅ Ⅻ Ⓐ"), "ß ǆ ⅻ ⓐ");
}

TEST(CleanTextTest, WholePipeline) {
  EXPECT_EQ(Clean("  &amp;amp;  Hello\tWORLD  "), "& hello world");
  EXPECT_EQ(Clean("&amp;nbsp;x"), "x");  // second unescape gives U+00A0, then stripped
  EXPECT_EQ(Clean("It’s a ＴＥＳＴ ﬁle"), "it's a test file");
  EXPECT_EQ(Clean(""), "");
  EXPECT_EQ(Clean(" \n\t "), "");
}

}  // namespace
}  // namespace chromatune::models::clip
