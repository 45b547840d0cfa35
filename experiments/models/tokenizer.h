// TextTokenizer: the tokenizer interface the methods use; Tokenizer: the word-level
// tokenizer of the builtin backbones (and of TorchScript models
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

// What methods need of a backbone's tokenizer, whichever it is: the word-level Tokenizer
// below (builtin backbones, TorchScript models with a word list) or CLIP's byte-level BPE
// (clip_tokenizer.h). Ids of one text never include the specials; Encode adds them.
// Implementations are immutable after construction and safe to share across threads.
class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;

  virtual int64_t vocab_size() const = 0;
  virtual int64_t start_id() const = 0;
  virtual int64_t end_id() const = 0;
  virtual int64_t pad_id() const = 0;
  // The id written where learned context vectors go (CoOp's "X"); its embedding is replaced.
  virtual int64_t placeholder_id() const = 0;
  // The id of an out-of-vocabulary word; -1 for tokenizers that encode every text (BPE).
  virtual int64_t unknown_id() const = 0;
  // The id of "[MASK]", or -1 when the vocabulary has none.
  virtual int64_t mask_id() const = 0;

  // Ids of `text`, without specials or padding. Text the tokenizer cannot encode (invalid
  // UTF-8 for BPE) gives what CheckText reports; call CheckText first where it matters.
  virtual std::vector<int64_t> EncodeWords(std::string_view text) const = 0;
  // OK when `text` can be encoded; the error names the text and the reason.
  virtual Status CheckText(std::string_view text) const { return Status::Ok(); }
  // The id of `word` when it is a single token of the vocabulary, unknown_id() otherwise.
  virtual int64_t Id(const std::string& word) const = 0;
  // The text of a token ("photo" for the word tokenizer, "photo</w>" for BPE).
  virtual std::string Word(int64_t id) const = 0;
  // Every token's text, in id order.
  virtual std::vector<std::string> words() const = 0;

  struct Encoded {
    torch::Tensor ids;        // [B, T] int64
    torch::Tensor eos_index;  // [B] int64
  };
  // Encodes each text to `length` ids: start, EncodeWords truncated to length - 2 (the end
  // token is always kept), end, padding. length >= 2, checked. CPU tensors.
  Encoded Encode(const std::vector<std::string>& texts, int64_t length) const;
  // kInvalidArgument naming the first text that CheckText refuses or that needs more than
  // `length` ids with its start and end tokens (methods call it so that nothing is cut
  // silently).
  Status CheckFits(const std::vector<std::string>& texts, int64_t length) const;
};

class Tokenizer final : public TextTokenizer {
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

  int64_t vocab_size() const override { return static_cast<int64_t>(words_.size()); }
  int64_t start_id() const override { return kSos; }
  int64_t end_id() const override { return kEos; }
  int64_t pad_id() const override { return kPad; }
  int64_t placeholder_id() const override { return kUnk; }
  int64_t unknown_id() const override { return kUnk; }
  int64_t mask_id() const override { return kMask; }
  std::vector<std::string> words() const override { return words_; }
  const std::vector<std::string>& word_list() const { return words_; }
  // Id of `word` (lower-case), kUnk when absent.
  int64_t Id(const std::string& word) const override;
  bool Contains(const std::string& word) const { return index_.count(word) > 0; }
  // The word of `id`; "[UNK]" when out of range.
  std::string Word(int64_t id) const override;
  // Ids of one text without specials or padding (Split, then Id).
  std::vector<int64_t> EncodeWords(std::string_view text) const override;
  // kInvalidArgument listing the words of `text` that are not in the vocabulary (they would
  // all encode to [UNK], and prompts that differ only in them would be identical).
  Status CheckText(std::string_view text) const override;

 private:
  explicit Tokenizer(std::vector<std::string> words);
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace chromatune::models
