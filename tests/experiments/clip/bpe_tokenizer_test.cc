#include "experiments/models/clip/bpe_tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "experiments/models/clip/text_clean.h"

namespace chromatune::models::clip {
namespace {

namespace fs = std::filesystem;

// The repository root: ctest runs tests there; fall back to this file's location.
fs::path RepoRoot() {
  if (fs::exists("tests/clip/bpe_reference.py")) return fs::current_path();
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

fs::path VocabPath() {
  return RepoRoot().parent_path() / "shared" / "clip" / "bpe_simple_vocab_16e6.txt.gz";
}

// A fresh directory for the current test, removed with its contents at scope exit.
class ScopedTempDir {
 public:
  ScopedTempDir()
      : path_(fs::temp_directory_path() /
              ("bpe_tokenizer_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class BpeTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(VocabPath())) return;
    Result<BpeTokenizer> loaded = BpeTokenizer::Load(VocabPath().string());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    tokenizer_ = new BpeTokenizer(std::move(loaded).value());
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  void SetUp() override {
    if (tokenizer_ == nullptr) {
      GTEST_SKIP() << "CLIP BPE vocabulary not found at " << VocabPath()
                   << " (expected <repo>/../shared/clip/bpe_simple_vocab_16e6.txt.gz)";
    }
  }
  const BpeTokenizer& tok() const { return *tokenizer_; }

  std::vector<int64_t> Ids(const std::string& text) const {
    Result<std::vector<int64_t>> ids = tok().Encode(text);
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    return ids.ok() ? *ids : std::vector<int64_t>{};
  }
  std::vector<std::string> Texts(const std::string& text) const {
    std::vector<std::string> out;
    for (int64_t id : Ids(text)) out.push_back(tok().TokenText(id));
    return out;
  }

  static BpeTokenizer* tokenizer_;
};

BpeTokenizer* BpeTokenizerTest::tokenizer_ = nullptr;

using Strings = std::vector<std::string>;

TEST_F(BpeTokenizerTest, HandCheckedTokens) {
  EXPECT_EQ(tok().vocab_size(), 49408);
  EXPECT_EQ(BpeTokenizer::kStartOfText, 49406);
  EXPECT_EQ(BpeTokenizer::kEndOfText, 49407);
  EXPECT_EQ(tok().TokenText(49406), "<|startoftext|>");
  EXPECT_EQ(tok().TokenText(49407), "<|endoftext|>");
  EXPECT_EQ(tok().TokenText(0), "!");
  EXPECT_EQ(tok().TokenText(256), "!</w>");
  EXPECT_EQ(tok().TokenText(-1), "");
  EXPECT_EQ(tok().TokenText(49408), "");

  EXPECT_EQ(Texts("a photo of a cat."),
            (Strings{"a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>", ".</w>"}));
  EXPECT_EQ(Ids("a photo of a cat."), (std::vector<int64_t>{320, 1125, 539, 320, 2368, 269}));
  EXPECT_EQ(Ids("A Photo OF a CAT."), Ids("a photo of a cat."));
  EXPECT_EQ(Texts("it's"), (Strings{"it</w>", "'s</w>"}));
  EXPECT_EQ(Texts("t-shirt/top"), (Strings{"t</w>", "-</w>", "shirt</w>", "/</w>", "top</w>"}));
  EXPECT_EQ(Texts("3.14"), (Strings{"3</w>", ".</w>", "1</w>", "4</w>"}));
  EXPECT_EQ(Texts("&amp;amp;"), (Strings{"&</w>"}));
  EXPECT_EQ(Ids("<|startoftext|>hi<|endoftext|>").front(), BpeTokenizer::kStartOfText);
  EXPECT_EQ(Ids("<|startoftext|>hi<|endoftext|>").back(), BpeTokenizer::kEndOfText);
  EXPECT_TRUE(Ids("").empty());
  EXPECT_TRUE(Ids(" \t\n ").empty());
}

TEST_F(BpeTokenizerTest, DecodeInvertsEncode) {
  EXPECT_EQ(tok().Decode(Ids("a photo of a cat.")), "a photo of a cat . ");
  EXPECT_EQ(tok().Decode(Ids("Zürich 日本 😀")), "zürich 日本 😀 ");
  Result<std::vector<int64_t>> padded = tok().EncodeForContext("cat", 5, false);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(tok().Decode(*padded), "<|startoftext|>cat <|endoftext|>!!");  // two pads
  // Id 102 is the symbol of byte 0xA9 ("©"), alone an invalid UTF-8 sequence: U+FFFD.
  // Out-of-range ids are skipped.
  EXPECT_EQ(tok().TokenText(102), "\u00A9");
  EXPECT_EQ(tok().Decode({102, -5, 1 << 20}), "\uFFFD");
  std::vector<int64_t> ids = Ids("é");
  ids.push_back(-5);
  EXPECT_EQ(tok().Decode(ids), "é ");
}

// The texts compared with tests/clip/bpe_reference.py: punctuation, digits, apostrophes,
// scripts, HTML entities, whitespace, quotes, widths, ligatures, combining marks.
const std::vector<std::string>& ComparisonTexts() {
  static const auto* texts = new std::vector<std::string>{
      "a photo of a cat.",
      "A PHOTO OF A DOG!",
      "t-shirt/top",
      "T-Shirt/Top, trouser; pullover: dress & coat",
      "sandal/shirt/sneaker/bag/ankle boot",
      "2023",
      "3.14",
      "The year 2023 had 365 days.",
      "$9.99 / 10% off!!!",
      "it's",
      "don't",
      "they'll",
      "we're, you've, I'm, he'd",
      "IT'S DON'T THEY'LL",
      "rock 'n' roll",
      "'s 't 're",
      "''quoted'' x...'s",
      "café",
      "niño español",
      "straße STRASSE ẞ",
      "ÜBER über",
      "Ελληνικά γράμματα",
      "ΟΔΟΣ ΟΔΟΣ\u0345x",
      "Привет, мир!",
      "日本語のテキスト",
      "中文字符和标点。",
      "한국어 텍스트",
      "emoji 😀🐱👍🏽",
      "flag 🇫🇷 family 👨‍👩‍👧",
      "&amp;amp;",
      "&lt;b&gt;bold&lt;/b&gt;",
      "it&#39;s",
      "caf&eacute; na&iuml;ve",
      "&hellip; &mdash; &copy; &nbsp;x &apos;q&apos;",
      "&amp;lt;tag&amp;gt;",
      "&#x41;&#66;&#X43",
      "&ampx &notit; &#0; &#128; &#x110000; &#xD800; &#1; &#xFFFE;",
      "&unknown; &; & b &#; &#x; &NewLine;end",
      "  leading and trailing  ",
      "many    spaces\t\ttabs\n\nnewlines\r\nand crlf",
      "\u00a0nbsp\u2003em\u3000ideographic\u2028line",
      "\x1c separators \x1f a\x1e"
      "b",
      "‘single’ “double” „low‟ ‛rev‚",
      "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３！",
      "ﾊﾝｶｸ ｶﾀｶﾅ",
      "ﬁne ﬂower ﬀ ﬃ ﬄ ﬅ ﬆ Ĳssel ǅemal",
      "e\u0301cole n\u0303 A\u030a",
      "",
      "   ",
      "<|startoftext|>hello<|endoftext|>",
      "<|STARTOFTEXT|> <|endoftext",
      "a\u0345b",
      "it'ſ",
      "1st 2nd 3rd 4th",
      "½ ² Ⅻ ٣ ๓",
      "http://example.com/path?q=1&r=2",
      "user@example.com",
      "C++ and C# and F#",
      "\x07"
      "bell \x7f"
      "del",
      "İstanbul",
      "supercalifragilisticexpialidocious",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "Zürich's café—naïve coöperation",
      "a_b-c.d,e;f:g",
      "(parenthesis) [brackets] {braces}",
      "\"quoted\" \\backslash",
      "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Ⓐⓑ ™ ℃ №",
      "a photo of a black and white striped t-shirt on a wooden table",
      "ʼapostrophe modifier",
      "x\u200by zero width",
  };
  return *texts;
}

// Runs bpe_reference.py with `argument` (vocabulary path or --clean) over `texts`; one
// output line a text. Empty when the script fails.
std::vector<std::string> RunReference(const std::string& argument,
                                      const std::vector<std::string>& texts) {
  const ScopedTempDir dir;
  const fs::path input = dir.path() / "texts.jsonl";
  {
    std::ofstream out(input);
    for (const std::string& text : texts) out << nlohmann::json(text).dump() << "\n";
  }
  const std::string command = "/usr/bin/python3 " +
                              (RepoRoot() / "tests/clip/bpe_reference.py").string() + " " +
                              argument + " < " + input.string();
  std::vector<std::string> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return lines;
  std::string line;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    line += buffer;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      lines.push_back(line);
      line.clear();
    }
  }
  if (pclose(pipe) != 0) lines.clear();
  return lines;
}

bool PythonRegexAvailable() {
  return std::system("/usr/bin/python3 -c 'import regex' >/dev/null 2>&1") == 0;
}

TEST_F(BpeTokenizerTest, AgreesWithPythonReference) {
  if (!PythonRegexAvailable()) GTEST_SKIP() << "/usr/bin/python3 with `regex` not available";
  const std::vector<std::string>& texts = ComparisonTexts();

  const std::vector<std::string> cleaned = RunReference("--clean", texts);
  ASSERT_EQ(cleaned.size(), texts.size()) << "bpe_reference.py --clean failed";
  const std::vector<std::string> ids = RunReference(VocabPath().string(), texts);
  ASSERT_EQ(ids.size(), texts.size()) << "bpe_reference.py failed";

  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE("text #" + std::to_string(i) + ": " + nlohmann::json(texts[i]).dump());
    Result<std::string> clean = CleanText(texts[i]);
    ASSERT_TRUE(clean.ok()) << clean.status().ToString();
    EXPECT_EQ(nlohmann::json(*clean), nlohmann::json::parse(cleaned[i]));
    EXPECT_EQ(nlohmann::json(Ids(texts[i])), nlohmann::json::parse(ids[i]));
  }
}

TEST_F(BpeTokenizerTest, EncodeForContextPadsAndTruncates) {
  Result<std::vector<int64_t>> fit = tok().EncodeForContext("a photo of a cat.", 10, false);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(*fit, (std::vector<int64_t>{49406, 320, 1125, 539, 320, 2368, 269, 49407, 0, 0}));

  Result<std::vector<int64_t>> exact = tok().EncodeForContext("a photo of a cat.", 8, false);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->back(), BpeTokenizer::kEndOfText);

  Result<std::vector<int64_t>> too_long = tok().EncodeForContext("a photo of a cat.", 5, false);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("\"a photo of a cat.\""), std::string::npos);
  EXPECT_NE(too_long.status().message().find("8 tokens"), std::string::npos);
  EXPECT_NE(too_long.status().message().find("context length 5"), std::string::npos);

  Result<std::vector<int64_t>> cut = tok().EncodeForContext("a photo of a cat.", 5, true);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(*cut, (std::vector<int64_t>{49406, 320, 1125, 539, 49407}));

  const std::string long_text(100, 'x');
  Result<std::vector<int64_t>> long_error =
      tok().EncodeForContext(long_text + " " + long_text + " y z", 3, false);
  ASSERT_FALSE(long_error.ok());
  EXPECT_NE(long_error.status().message().find("\"" + std::string(60, 'x') + "...\""),
            std::string::npos)
      << long_error.status().message();

  EXPECT_FALSE(tok().EncodeForContext("cat", 1, true).ok());
  Result<std::vector<int64_t>> empty = tok().EncodeForContext("", 4, false);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, (std::vector<int64_t>{49406, 49407, 0, 0}));
}

TEST_F(BpeTokenizerTest, InvalidUtf8IsAnError) {
  for (const auto& [text, offset] : std::vector<std::pair<std::string, int>>{
           {"abc\xff", 3},
           {"ab\xe2\x82", 2},
           {"\xc0\xaf", 0},
           {"x\xed\xa0\x80", 1},
           {"ok \xf4\x90\x80\x80", 3},
       }) {
    Result<std::vector<int64_t>> ids = tok().Encode(text);
    ASSERT_FALSE(ids.ok()) << "offset " << offset;
    EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ids.status().message().find("byte offset " + std::to_string(offset)),
              std::string::npos)
        << ids.status().message();
    EXPECT_FALSE(tok().EncodeForContext(text, 77, true).ok());
  }
}

TEST_F(BpeTokenizerTest, ConcurrentEncodeAgrees) {
  const std::vector<std::string>& texts = ComparisonTexts();
  std::vector<std::vector<int64_t>> expected;
  for (const std::string& text : texts) expected.push_back(Ids(text));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          Result<std::vector<int64_t>> ids = tok().Encode(texts[(i + t) % texts.size()]);
          if (!ids.ok() || *ids != expected[(i + t) % texts.size()]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// Bad vocabulary files: errors name the file. These need no real vocabulary.
void WriteGzip(const fs::path& path, const std::string& data) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  gzclose(file);
}

TEST(BpeTokenizerLoadTest, MissingFile) {
  const ScopedTempDir dir;
  const std::string path = (dir.path() / "no_such_vocab.txt.gz").string();
  Result<BpeTokenizer> loaded = BpeTokenizer::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
}

TEST(BpeTokenizerLoadTest, NotGzip) {
  const ScopedTempDir dir;
  const std::string path = (dir.path() / "plain.txt.gz").string();
  std::ofstream(path) << "#version: 0.2\ni n\nt h\n";
  Result<BpeTokenizer> loaded = BpeTokenizer::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  EXPECT_NE(loaded.status().message().find("not a gzip file"), std::string::npos)
      << loaded.status().message();
}

TEST(BpeTokenizerLoadTest, TooFewMerges) {
  const ScopedTempDir dir;
  const std::string path = (dir.path() / "short.txt.gz").string();
  WriteGzip(path, "#version: 0.2\ni n\nt h\na n\n");
  Result<BpeTokenizer> loaded = BpeTokenizer::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  EXPECT_NE(loaded.status().message().find("need 48894"), std::string::npos)
      << loaded.status().message();
}

TEST(BpeTokenizerLoadTest, MalformedMergeLine) {
  const ScopedTempDir dir;
  const std::string path = (dir.path() / "malformed.txt.gz").string();
  std::string data = "#version: 0.2\n";
  for (int i = 0; i < BpeTokenizer::kNumMerges; ++i) data += i == 2 ? "a b c\n" : "a b\n";
  WriteGzip(path, data);
  Result<BpeTokenizer> loaded = BpeTokenizer::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(path + ": line 4"), std::string::npos)
      << loaded.status().message();
}

}  // namespace
}  // namespace chromatune::models::clip
