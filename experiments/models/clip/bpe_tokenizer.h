// BpeTokenizer: CLIP's byte-level BPE text tokenizer (the one its text tower was trained
// with), without LibTorch.
//
// Encoding a text:
//  1. CleanCodePoints (text_clean.h): ftfy subset, html.unescape twice, whitespace
//     collapsing, Unicode lowercasing.
//  2. Pre-tokenization with CLIP's pattern (Python `regex`, IGNORECASE)
//       <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|
//       [^\s\p{L}\p{N}]+
//     scanned left to right; code points matching no alternative (whitespace) are skipped.
//  3. Each piece's UTF-8 bytes become GPT-2's byte symbols, the last one marked "</w>";
//     adjacent pairs are merged, always all left-to-right occurrences of the pair with the
//     lowest merge rank, until no ranked pair is left. A piece that is exactly
//     "<|startoftext|>" or "<|endoftext|>" is that special token.
//
// Vocabulary (49,408 tokens): the 256 byte symbols, the same with "</w>", one token per
// merge (the first 48,894 merges of bpe_simple_vocab_16e6.txt.gz), then kStartOfText and
// kEndOfText.
//
// Thread safety: immutable after Load except for an internal, mutex-guarded cache of
// pieces already merged; Encode and the other const methods may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace chromatune::models::clip {

class BpeTokenizer {
 public:
  static constexpr int64_t kStartOfText = 49406;
  static constexpr int64_t kEndOfText = 49407;
  static constexpr int64_t kNumMerges = 49152 - 256 - 2;
  static constexpr int64_t kVocabSize = 512 + kNumMerges + 2;

  // Reads the gzip merges file (first line: version header; then one "left right" merge a
  // line). Errors name the file: NotFound when missing, Corruption when it is not gzip,
  // truncated, not UTF-8, has fewer than kNumMerges merge lines or a malformed one.
  static Result<BpeTokenizer> Load(const std::string& vocab_path);

  // Movable, not copyable; a moved-from tokenizer may only be assigned to or destroyed.
  BpeTokenizer(BpeTokenizer&&) noexcept;
  BpeTokenizer& operator=(BpeTokenizer&&) noexcept;
  ~BpeTokenizer();

  // Token ids of `text` without start/end tokens. Errors: invalid UTF-8 (InvalidArgument
  // naming the byte offset).
  Result<std::vector<int64_t>> Encode(std::string_view text) const;

  // [kStartOfText, ids..., kEndOfText, 0...] of exactly `context_length` (>= 2) ids. When
  // the ids do not fit: with `truncate`, the first context_length - 1 are kept and
  // kEndOfText is put last (open_clip's truncation); otherwise InvalidArgument naming the
  // text's start, the token count and the context length.
  Result<std::vector<int64_t>> EncodeForContext(std::string_view text, int64_t context_length,
                                                bool truncate) const;

  // The token's text in byte-symbol form, e.g. "photo</w>"; "" for an id out of range.
  std::string TokenText(int64_t id) const;

  // The inverse mapping: token texts concatenated, byte symbols back to bytes, UTF-8
  // decoded (an invalid sequence becomes U+FFFD, as Python's errors="replace"), then each
  // "</w>" replaced by a space. Specials decode to their text, padding 0 to "!" (as CLIP's
  // decoder does); ids out of range are skipped.
  std::string Decode(const std::vector<int64_t>& ids) const;

  int64_t vocab_size() const { return static_cast<int64_t>(tokens_.size()); }

 private:
  struct MergeTable;
  struct Cache;

  BpeTokenizer();
  // Appends the ids of one pre-token (its UTF-8 bytes) to `out`.
  void EncodePiece(const std::string& piece, std::vector<int64_t>* out) const;
  // Applies the merges to the symbol ids in `word`, in place.
  void Merge(std::vector<int32_t>* word) const;

  std::vector<std::string> tokens_;       // id -> text (UTF-8 of its byte symbols)
  std::vector<std::string> token_bytes_;  // id -> the raw bytes it stands for
  int32_t byte_id_[256] = {};             // byte -> id of its symbol (+256: with "</w>")
  std::unique_ptr<MergeTable> merges_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace chromatune::models::clip
