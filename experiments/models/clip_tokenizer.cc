#include "experiments/models/clip_tokenizer.h"

namespace chromatune::models {

ClipTokenizer::ClipTokenizer(clip::BpeTokenizer bpe, std::string vocab_path)
    : bpe_(std::move(bpe)), vocab_path_(std::move(vocab_path)) {
  placeholder_ = Id("X");
  if (placeholder_ < 0) placeholder_ = 0;
}

Result<std::shared_ptr<const ClipTokenizer>> ClipTokenizer::Load(const std::string& vocab_path) {
  CT_ASSIGN_OR_RETURN(clip::BpeTokenizer bpe, clip::BpeTokenizer::Load(vocab_path));
  return std::shared_ptr<const ClipTokenizer>(new ClipTokenizer(std::move(bpe), vocab_path));
}

std::vector<int64_t> ClipTokenizer::EncodeWords(std::string_view text) const {
  auto ids = bpe_.Encode(text);
  return ids.ok() ? std::move(ids).value() : std::vector<int64_t>{};
}

Status ClipTokenizer::CheckText(std::string_view text) const {
  auto ids = bpe_.Encode(text);
  return ids.ok() ? Status::Ok() : ids.status();
}

int64_t ClipTokenizer::Id(const std::string& word) const {
  auto ids = bpe_.Encode(word);
  return ids.ok() && ids->size() == 1 ? ids->front() : -1;
}

std::vector<std::string> ClipTokenizer::words() const {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(vocab_size()));
  for (int64_t i = 0; i < vocab_size(); ++i) out.push_back(bpe_.TokenText(i));
  return out;
}

}  // namespace chromatune::models
