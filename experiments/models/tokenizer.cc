#include "experiments/models/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "datasets/captions.h"
#include "datasets/colors.h"
#include "datasets/fashion_mnist.h"

namespace chromatune::models {
namespace {

const std::vector<std::string>& Specials() {
  static const std::vector<std::string> kSpecials = {"[PAD]", "[SOS]", "[EOS]", "[MASK]", "[UNK]"};
  return kSpecials;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '\'';
}

// Hand-written prompts of the methods (CLIP's and CoOp's classification templates, CPT's
// colour template, red-circle's phrasing) beyond what the caption corpus contains, so that
// zero-shot and ensemble prompts never hit [UNK].
const std::vector<std::string>& PromptTexts() {
  static const std::vector<std::string> kTexts = {
      "a photo of a {}.",
      "a photo of the {}.",
      "a picture of a {}.",
      "an image of a {}.",
      "a close-up photo of a {}.",
      "a bright photo of a {}.",
      "a dark photo of a {}.",
      "a low contrast photo of a {}.",
      "a black and white photo of a {}.",
      "a small photo of a {}.",
      "a big photo of a {}.",
      "a cropped photo of a {}.",
      "a blurry photo of a {}.",
      "a drawing of a {}.",
      "a sketch of a {}.",
      "a type of clothing or footwear.",
      "a kind of fashion item.",
      "the {} is in [MASK] color.",
      "{} is in [MASK] color.",
      "the {} in the red circle.",
      "the {} marked by a circle.",
      "t-shirt top trouser ankle boot",
      "one two three left right of above below next to on with and or",
  };
  return kTexts;
}

}  // namespace

Tokenizer::Tokenizer(std::vector<std::string> words) : words_(std::move(words)) {
  for (size_t i = 0; i < words_.size(); ++i) index_.emplace(words_[i], static_cast<int64_t>(i));
}

std::vector<std::string> Tokenizer::Split(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '[') {
      const size_t close = text.find(']', i);
      if (close != std::string_view::npos) {
        std::string special(text.substr(i, close - i + 1));
        std::transform(special.begin(), special.end(), special.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (std::find(Specials().begin(), Specials().end(), special) != Specials().end()) {
          out.push_back(std::move(special));
          i = close + 1;
          continue;
        }
      }
    }
    if (!IsWordChar(text[i])) {
      ++i;
      continue;
    }
    std::string word;
    while (i < text.size() && IsWordChar(text[i])) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
      ++i;
    }
    // Leading/trailing hyphens and quotes are punctuation, not part of the word.
    const size_t first = word.find_first_not_of("-'");
    const size_t last = word.find_last_not_of("-'");
    if (first != std::string::npos) out.push_back(word.substr(first, last - first + 1));
  }
  return out;
}

Tokenizer Tokenizer::FromTexts(const std::vector<std::string>& texts) {
  std::set<std::string> distinct;
  for (const std::string& text : texts) {
    for (std::string& w : Split(text)) distinct.insert(std::move(w));
  }
  std::vector<std::string> words = Specials();
  for (const std::string& w : distinct) {
    if (std::find(Specials().begin(), Specials().end(), w) == Specials().end()) {
      words.push_back(w);
    }
  }
  return Tokenizer(std::move(words));
}

Result<Tokenizer> Tokenizer::FromWords(std::vector<std::string> words) {
  for (size_t i = 0; i < Specials().size(); ++i) {
    if (i >= words.size() || words[i] != Specials()[i]) {
      return InvalidArgument("vocabulary must start with [PAD] [SOS] [EOS] [MASK] [UNK]");
    }
  }
  std::set<std::string> seen(words.begin(), words.end());
  if (seen.size() != words.size()) return InvalidArgument("vocabulary has duplicate words");
  return Tokenizer(std::move(words));
}

Tokenizer Tokenizer::Builtin() {
  std::vector<std::string> texts = PromptTexts();
  for (const std::string& w : datasets::FashionClassWords()) texts.push_back(w);
  for (const std::string& w : datasets::FashionOfficialNames()) texts.push_back(w);
  for (const datasets::NamedColor& c : datasets::BlockPalette()) texts.push_back(c.name);
  for (const std::string& w : datasets::CaptionVocabulary()) texts.push_back(w);
  return FromTexts(texts);
}

int64_t Tokenizer::Id(const std::string& word) const {
  auto it = index_.find(word);
  return it == index_.end() ? kUnk : it->second;
}

std::string Tokenizer::Word(int64_t id) const {
  if (id < 0 || id >= vocab_size()) return words_[kUnk];
  return words_[static_cast<size_t>(id)];
}

std::vector<int64_t> Tokenizer::EncodeWords(std::string_view text) const {
  std::vector<int64_t> ids;
  for (const std::string& w : Split(text)) ids.push_back(Id(w));
  return ids;
}

Status Tokenizer::CheckText(std::string_view text) const {
  std::string unknown;
  for (const std::string& w : Split(text)) {
    if (Contains(w)) continue;
    if (unknown.find("\"" + w + "\"") != std::string::npos) continue;
    unknown += (unknown.empty() ? "" : ", ") + ("\"" + w + "\"");
  }
  if (unknown.empty()) return Status::Ok();
  return InvalidArgument("\"" + std::string(text) + "\": " + unknown +
                         " not in the backbone's vocabulary (the builtin backbones know only the "
                         "words of their captions and prompts; a clip: backbone encodes any text)");
}

TextTokenizer::Encoded TextTokenizer::Encode(const std::vector<std::string>& texts,
                                             int64_t length) const {
  TORCH_CHECK(length >= 2, "TextTokenizer::Encode: length must be >= 2");
  const int64_t n = static_cast<int64_t>(texts.size());
  Encoded out;
  out.ids = torch::full({n, length}, pad_id(), torch::kInt64);
  out.eos_index = torch::empty({n}, torch::kInt64);
  auto ids = out.ids.accessor<int64_t, 2>();
  auto eos = out.eos_index.accessor<int64_t, 1>();
  for (int64_t b = 0; b < n; ++b) {
    std::vector<int64_t> words = EncodeWords(texts[static_cast<size_t>(b)]);
    const int64_t kept = std::min<int64_t>(static_cast<int64_t>(words.size()), length - 2);
    ids[b][0] = start_id();
    for (int64_t t = 0; t < kept; ++t) ids[b][t + 1] = words[static_cast<size_t>(t)];
    ids[b][kept + 1] = end_id();
    eos[b] = kept + 1;
  }
  return out;
}

Status TextTokenizer::CheckFits(const std::vector<std::string>& texts, int64_t length) const {
  for (const std::string& text : texts) {
    CT_RETURN_IF_ERROR(CheckText(text));
    const size_t n = EncodeWords(text).size() + 2;
    if (static_cast<int64_t>(n) > length) {
      const std::string shown = text.size() > 60 ? text.substr(0, 57) + "..." : text;
      return InvalidArgument("text \"" + shown + "\" needs " + std::to_string(n) +
                             " tokens with its start and end tokens, but the text tower takes " +
                             std::to_string(length));
    }
  }
  return Status::Ok();
}

}  // namespace chromatune::models
