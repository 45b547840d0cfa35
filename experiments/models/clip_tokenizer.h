// ClipTokenizer: CLIP's byte-level BPE (clip/bpe_tokenizer.h) behind the TextTokenizer
// interface the methods use. Start 49406, end 49407, padding 0 (as CLIP pads), and CoOp's
// "X" as the placeholder of learned context positions. No unknown id (every text encodes)
// and no mask token.
#pragma once

#include <memory>
#include <string>

#include "experiments/models/clip/bpe_tokenizer.h"
#include "experiments/models/tokenizer.h"

namespace chromatune::models {

class ClipTokenizer final : public TextTokenizer {
 public:
  // Reads the vocabulary file (errors name it).
  static Result<std::shared_ptr<const ClipTokenizer>> Load(const std::string& vocab_path);

  int64_t vocab_size() const override { return bpe_.vocab_size(); }
  int64_t start_id() const override { return clip::BpeTokenizer::kStartOfText; }
  int64_t end_id() const override { return clip::BpeTokenizer::kEndOfText; }
  int64_t pad_id() const override { return 0; }
  int64_t placeholder_id() const override { return placeholder_; }
  int64_t unknown_id() const override { return -1; }
  int64_t mask_id() const override { return -1; }

  // Text that CheckText refuses (invalid UTF-8) encodes to no ids.
  std::vector<int64_t> EncodeWords(std::string_view text) const override;
  Status CheckText(std::string_view text) const override;
  int64_t Id(const std::string& word) const override;
  std::string Word(int64_t id) const override { return bpe_.TokenText(id); }
  std::vector<std::string> words() const override;

  const clip::BpeTokenizer& bpe() const { return bpe_; }
  const std::string& vocab_path() const { return vocab_path_; }

 private:
  ClipTokenizer(clip::BpeTokenizer bpe, std::string vocab_path);
  clip::BpeTokenizer bpe_;
  std::string vocab_path_;
  int64_t placeholder_ = 0;
};

}  // namespace chromatune::models
