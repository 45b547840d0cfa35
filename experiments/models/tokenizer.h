// Tokenizer: the word-level tokenizer of the builtin backbones (and of TorchScript models
// that ship a word list).
//
// Words are lower-case runs of letters, digits, '-' and '\''; every other character
// separates words and is dropped ("A T-shirt/top." -> "a", "t-shirt", "top"). The specials
// "[PAD]" "[SOS]" "[EOS]" "[MASK]" "[UNK]" are written literally in text and always have
// ids 0..4 in that order. A word outside the vocabulary encodes to [UNK].
//
// Encoding to a fixed length T: [SOS] w1 .. wn [EOS] [PAD]..., truncating words (never the
// [EOS]) when n + 2 > T. eos_index is the position of [EOS]; the text towers read their
// sentence feature there (CLIP's convention), which lets CoOp splice learned context
// vectors before it.
//
// Immutable after construction; safe to share across threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <torch/torch.h>

#include "common/status.h"

namespace chromatune::models {

class Tokenizer {
 public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kSos = 1;
  static constexpr int64_t kEos = 2;
  static constexpr int64_t kMask = 3;
  static constexpr int64_t kUnk = 4;

  // The builtin vocabulary: specials, then (sorted) every word of the caption and prompt
  // templates, the Fashion-MNIST class names and their synonyms, colour and position words
  // used by datasets/ and the methods' hand-written prompts.
  static Tokenizer Builtin();

  // Specials first, then the distinct words of `texts` in sorted order (deterministic).
  static Tokenizer FromTexts(const std::vector<std::string>& texts);

  // Exactly `words` as the vocabulary (ids in order). The first five must be the specials.
  // Used to restore a checkpoint or read a TorchScript model's word list.
  static Result<Tokenizer> FromWords(std::vector<std::string> words);

  // Lower-cased words of `text`, specials kept as single words.
  static std::vector<std::string> Split(std::string_view text);

  int64_t vocab_size() const { return static_cast<int64_t>(words_.size()); }
  const std::vector<std::string>& words() const { return words_; }
  // Id of `word` (lower-case), kUnk when absent.
  int64_t Id(const std::string& word) const;
  bool Contains(const std::string& word) const { return index_.count(word) > 0; }
  // The word of `id`; "[UNK]" when out of range.
  const std::string& Word(int64_t id) const;

  struct Encoded {
    torch::Tensor ids;        // [B, T] int64
    torch::Tensor eos_index;  // [B] int64
  };
  // Encodes each text to `length` ids (length >= 2, checked). CPU tensors.
  Encoded Encode(const std::vector<std::string>& texts, int64_t length) const;
  // Ids of one text without specials or padding.
  std::vector<int64_t> EncodeWords(std::string_view text) const;

 private:
  explicit Tokenizer(std::vector<std::string> words);
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace chromatune::models
