#include "experiments/models/clip/bpe_tokenizer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include <unicode/uchar.h>
#include <zlib.h>

#include "experiments/models/clip/text_clean.h"

namespace chromatune::models::clip {
namespace {

constexpr std::string_view kStartText = "<|startoftext|>";
constexpr std::string_view kEndText = "<|endoftext|>";
constexpr std::string_view kWordEnd = "</w>";

// Bytes in GPT-2's byte-symbol order: the printable ones ('!'..'~', U+00A1..U+00AC,
// U+00AE..U+00FF) stand for themselves and come first; the other 68 follow in byte order
// and stand for U+0100 + n. Vocabulary id k < 256 is the symbol of byte kByteOrder[k].
struct ByteSymbols {
  unsigned char byte[256];
  char32_t symbol[256];
};

ByteSymbols MakeByteSymbols() {
  ByteSymbols s{};
  auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  int k = 0;
  for (int b = 0; b < 256; ++b) {
    if (printable(b)) {
      s.byte[k] = static_cast<unsigned char>(b);
      s.symbol[k++] = static_cast<char32_t>(b);
    }
  }
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    if (!printable(b)) {
      s.byte[k] = static_cast<unsigned char>(b);
      s.symbol[k++] = static_cast<char32_t>(256 + extra++);
    }
  }
  return s;
}

// What a code point is to the pre-tokenization pattern under IGNORECASE.
enum class CharClass { kLetter, kNumber, kOther, kSkip };

CharClass Classify(char32_t c) {
  if (c < 0x80) {
    if ((c | 0x20) >= U'a' && (c | 0x20) <= U'z') return CharClass::kLetter;
    if (c >= U'0' && c <= U'9') return CharClass::kNumber;
    return IsRegexSpace(c) ? CharClass::kSkip : CharClass::kOther;
  }
  // U+0345 (Mn) case-folds to a Greek letter, so under IGNORECASE it is in neither
  // [\p{L}] nor [^\s\p{L}\p{N}]: `regex` skips it like whitespace.
  if (IsRegexSpace(c) || c == 0x0345) return CharClass::kSkip;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return CharClass::kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::kNumber;
    default:
      return CharClass::kOther;
  }
}

// Whether `c` matches the lower-case ASCII pattern character `p` under IGNORECASE
// (simple case folding: 's' also matches U+017F LONG S, 'k' the Kelvin sign).
bool MatchesIgnoreCase(char32_t c, char p) {
  if (c == static_cast<char32_t>(p)) return true;
  if (p >= 'a' && p <= 'z' && c == static_cast<char32_t>(p - 'a' + 'A')) return true;
  return (p == 's' && c == 0x017F) || (p == 'k' && c == 0x212A);
}

// Length of `literal` when text[i..] matches it under IGNORECASE, else 0.
size_t MatchLiteral(std::u32string_view text, size_t i, std::string_view literal) {
  if (text.size() - i < literal.size()) return 0;
  for (size_t k = 0; k < literal.size(); ++k) {
    if (!MatchesIgnoreCase(text[i + k], literal[k])) return 0;
  }
  return literal.size();
}

// Length of the pattern's match at text[i], or 0 when no alternative matches (whitespace).
size_t MatchAt(std::u32string_view text, size_t i) {
  const char32_t c = text[i];
  if (c == U'<') {
    if (size_t n = MatchLiteral(text, i, kStartText)) return n;
    if (size_t n = MatchLiteral(text, i, kEndText)) return n;
  } else if (c == U'\'') {
    for (std::string_view suffix : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}) {
      if (size_t n = MatchLiteral(text, i, suffix)) return n;
    }
  }
  const CharClass cls = Classify(c);
  if (cls == CharClass::kSkip) return 0;
  if (cls == CharClass::kNumber) return 1;
  size_t end = i + 1;
  while (end < text.size() && Classify(text[end]) == cls) ++end;
  return end - i;
}

// Appends the UTF-8 decoding of `bytes`, each maximal invalid subpart (the longest prefix
// of a well-formed sequence, at least one byte) replaced by U+FFFD like Python's
// errors="replace".
void AppendUtf8Replacing(std::string_view bytes, std::string* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  for (size_t i = 0; i < n;) {
    const unsigned char b = s[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    }
    size_t good = len == 0 ? 0 : 1;
    while (good < len && i + good < n) {
      const unsigned char next = s[i + good];
      const bool ok = good == 1 ? (next >= lo && next <= hi) : (next & 0xC0) == 0x80;
      if (!ok) break;
      ++good;
    }
    if (len != 0 && good == len) {
      out->append(bytes.substr(i, len));
      i += len;
    } else {
      out->append("\xEF\xBF\xBD");
      i += std::max<size_t>(good, 1);
    }
  }
}

std::string Preview(std::string_view text, size_t max_chars) {
  size_t end = 0;
  for (size_t chars = 0; end < text.size() && chars < max_chars; ++chars) {
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  }
  std::string out(text.substr(0, end));
  if (end < text.size()) out += "...";
  return out;
}

// Reads a whole gzip file. Errors name `path`.
Result<std::string> ReadGzip(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return NotFound("BPE vocabulary " + path + ": no such file");
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return IoError("BPE vocabulary " + path + ": cannot open");
  std::string data;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) data.append(buffer, n);
  Status status;
  if (n < 0) {
    int code = 0;
    const char* message = gzerror(file, &code);
    status = Corruption("BPE vocabulary " + path + ": gzip error: " + message);
  } else if (gzdirect(file)) {
    status = Corruption("BPE vocabulary " + path + ": not a gzip file");
  }
  gzclose(file);
  if (!status.ok()) return status;
  return data;
}

}  // namespace

// Open-addressing hash table from a symbol pair to its merge: the hot lookup of Merge.
struct BpeTokenizer::MergeTable {
  struct Slot {
    uint64_t key = kEmpty;  // (left id << 32) | right id
    int32_t rank = 0;
    int32_t merged = 0;  // id of the merged symbol
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  explicit MergeTable(size_t entries) {
    size_t capacity = 16;
    while (capacity < entries * 2) capacity *= 2;
    slots.resize(capacity);
    mask = capacity - 1;
  }
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
  }
  // Inserts or overwrites (a later merge line of the same pair wins, as in a Python dict).
  void Put(int32_t left, int32_t right, int32_t rank, int32_t merged) {
    const uint64_t key = Key(left, right);
    size_t i = Home(key);
    while (slots[i].key != kEmpty && slots[i].key != key) i = (i + 1) & mask;
    slots[i] = {key, rank, merged};
  }
  const Slot* Find(int32_t left, int32_t right) const {
    const uint64_t key = Key(left, right);
    for (size_t i = Home(key);; i = (i + 1) & mask) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == kEmpty) return nullptr;
    }
  }

  std::vector<Slot> slots;
  size_t mask = 0;
};

// Pieces already merged, keyed by their UTF-8 bytes. Cleared when it reaches kMaxEntries so
// that a long-running process over unbounded text keeps bounded memory.
struct BpeTokenizer::Cache {
  static constexpr size_t kMaxEntries = 1 << 18;
  std::shared_mutex mu;
  std::unordered_map<std::string, std::vector<int32_t>> pieces;
};

BpeTokenizer::BpeTokenizer() : cache_(std::make_unique<Cache>()) {}
BpeTokenizer::BpeTokenizer(BpeTokenizer&&) noexcept = default;
BpeTokenizer& BpeTokenizer::operator=(BpeTokenizer&&) noexcept = default;
BpeTokenizer::~BpeTokenizer() = default;

Result<BpeTokenizer> BpeTokenizer::Load(const std::string& vocab_path) {
  CT_ASSIGN_OR_RETURN(std::string data, ReadGzip(vocab_path));
  const std::string where = "BPE vocabulary " + vocab_path;
  if (Result<std::u32string> utf8 = DecodeUtf8(data); !utf8.ok()) {
    return Corruption(where + ": " + utf8.status().message());
  }

  // Lines 1..kNumMerges (line 0 is the version header).
  std::vector<std::string_view> lines;
  lines.reserve(kNumMerges + 1);
  const std::string_view all(data);
  for (size_t begin = 0; lines.size() < static_cast<size_t>(kNumMerges) + 1;) {
    const size_t end = all.find('\n', begin);
    lines.push_back(all.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  if (lines.size() < static_cast<size_t>(kNumMerges) + 1) {
    return Corruption(where + ": has " + std::to_string(lines.size() - 1) + " merge lines, need " +
                      std::to_string(kNumMerges));
  }

  BpeTokenizer t;
  const ByteSymbols bytes = MakeByteSymbols();
  t.tokens_.reserve(kVocabSize);
  t.token_bytes_.reserve(kVocabSize);
  for (int with_end = 0; with_end < 2; ++with_end) {
    for (int k = 0; k < 256; ++k) {
      std::string suffix(with_end ? kWordEnd : "");
      t.tokens_.push_back(EncodeUtf8(std::u32string(1, bytes.symbol[k])) + suffix);
      t.token_bytes_.push_back(std::string(1, static_cast<char>(bytes.byte[k])) + suffix);
    }
  }
  for (int k = 0; k < 256; ++k) t.byte_id_[bytes.byte[k]] = k;

  // Token text -> id; a later duplicate wins (as in CLIP's dict).
  std::unordered_map<std::string, int32_t> ids;
  ids.reserve(kVocabSize * 2);
  for (size_t id = 0; id < t.tokens_.size(); ++id) ids[t.tokens_[id]] = static_cast<int32_t>(id);
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve(kNumMerges);
  for (int64_t m = 0; m < kNumMerges; ++m) {
    // Python's str.split(): fields separated by runs of whitespace.
    std::vector<std::string_view> fields;
    const std::string_view line = lines[m + 1];
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      size_t j = i;
      while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
      if (j > i) fields.push_back(line.substr(i, j - i));
      i = j;
    }
    if (fields.size() != 2) {
      return Corruption(where + ": line " + std::to_string(m + 2) + " is not a merge \"" +
                        Preview(line, 60) + "\"");
    }
    pairs.emplace_back(fields[0], fields[1]);
    std::string merged = std::string(fields[0]) + std::string(fields[1]);
    std::string merged_bytes;
    for (std::string_view part : {fields[0], fields[1]}) {
      auto it = ids.find(std::string(part));
      if (it == ids.end()) {
        return Corruption(where + ": line " + std::to_string(m + 2) + ": \"" + std::string(part) +
                          "\" is not an earlier token");
      }
      merged_bytes += t.token_bytes_[it->second];
    }
    ids[merged] = static_cast<int32_t>(t.tokens_.size());
    t.tokens_.push_back(std::move(merged));
    t.token_bytes_.push_back(std::move(merged_bytes));
  }
  for (std::string_view special : {kStartText, kEndText}) {
    ids[std::string(special)] = static_cast<int32_t>(t.tokens_.size());
    t.tokens_.emplace_back(special);
    t.token_bytes_.emplace_back(special);
  }

  t.merges_ = std::make_unique<MergeTable>(pairs.size());
  for (size_t rank = 0; rank < pairs.size(); ++rank) {
    const auto& [left, right] = pairs[rank];
    std::string merged = std::string(left) + std::string(right);
    t.merges_->Put(ids.at(std::string(left)), ids.at(std::string(right)),
                   static_cast<int32_t>(rank), ids.at(merged));
  }
  return t;
}

void BpeTokenizer::Merge(std::vector<int32_t>* word) const {
  std::vector<int32_t>& w = *word;
  size_t n = w.size();
  while (n > 1) {
    int32_t best_rank = INT32_MAX;
    int32_t left = 0, right = 0, merged = 0;
    for (size_t i = 0; i + 1 < n; ++i) {
      const MergeTable::Slot* slot = merges_->Find(w[i], w[i + 1]);
      if (slot != nullptr && slot->rank < best_rank) {
        best_rank = slot->rank;
        left = w[i];
        right = w[i + 1];
        merged = slot->merged;
      }
    }
    if (best_rank == INT32_MAX) break;
    size_t out = 0;
    for (size_t i = 0; i < n;) {
      if (i + 1 < n && w[i] == left && w[i + 1] == right) {
        w[out++] = merged;
        i += 2;
      } else {
        w[out++] = w[i++];
      }
    }
    n = out;
  }
  w.resize(n);
}

void BpeTokenizer::EncodePiece(const std::string& piece, std::vector<int64_t>* out) const {
  if (piece == kStartText || piece == kEndText) {
    out->push_back(piece == kStartText ? kStartOfText : kEndOfText);
    return;
  }
  {
    std::shared_lock lock(cache_->mu);
    auto it = cache_->pieces.find(piece);
    if (it != cache_->pieces.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> word(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) {
    word[i] = byte_id_[static_cast<unsigned char>(piece[i])];
  }
  word.back() += 256;  // the symbol with "</w>"
  Merge(&word);
  out->insert(out->end(), word.begin(), word.end());
  std::unique_lock lock(cache_->mu);
  if (cache_->pieces.size() >= Cache::kMaxEntries) cache_->pieces.clear();
  cache_->pieces.emplace(piece, std::move(word));
}

Result<std::vector<int64_t>> BpeTokenizer::Encode(std::string_view text) const {
  CT_ASSIGN_OR_RETURN(std::u32string cleaned, CleanCodePoints(text));
  std::vector<int64_t> ids;
  const std::u32string_view view(cleaned);
  for (size_t i = 0; i < view.size();) {
    const size_t n = MatchAt(view, i);
    if (n == 0) {
      ++i;
      continue;
    }
    EncodePiece(EncodeUtf8(view.substr(i, n)), &ids);
    i += n;
  }
  return ids;
}

Result<std::vector<int64_t>> BpeTokenizer::EncodeForContext(std::string_view text,
                                                            int64_t context_length,
                                                            bool truncate) const {
  if (context_length < 2) {
    return InvalidArgument("context length " + std::to_string(context_length) +
                           " cannot hold the start and end tokens");
  }
  CT_ASSIGN_OR_RETURN(std::vector<int64_t> body, Encode(text));
  const size_t length = static_cast<size_t>(context_length);
  const size_t needed = body.size() + 2;
  if (needed > length && !truncate) {
    return InvalidArgument("text \"" + Preview(text, 60) + "\" has " + std::to_string(needed) +
                           " tokens with start and end, more than the context length " +
                           std::to_string(context_length));
  }
  std::vector<int64_t> ids(length, 0);
  ids[0] = kStartOfText;
  const size_t kept = std::min(body.size(), length - 2);
  std::copy(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(kept), ids.begin() + 1);
  if (needed > length) {
    // open_clip: tokens[:context_length], last replaced by the end token.
    ids[length - 1] = kEndOfText;
  } else {
    ids[kept + 1] = kEndOfText;
  }
  return ids;
}

std::string BpeTokenizer::TokenText(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  return tokens_[static_cast<size_t>(id)];
}

std::string BpeTokenizer::Decode(const std::vector<int64_t>& ids) const {
  std::string bytes;
  for (int64_t id : ids) {
    if (id >= 0 && id < vocab_size()) bytes += token_bytes_[static_cast<size_t>(id)];
  }
  std::string text;
  AppendUtf8Replacing(bytes, &text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, kWordEnd.size(), kWordEnd) == 0) {
      out.push_back(' ');
      i += kWordEnd.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace chromatune::models::clip
