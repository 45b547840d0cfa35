// Fuzzes CLIP's text path (experiments/models/clip/): CleanText (ftfy-like fixes, HTML
// unescaping, whitespace, lowercasing) and the byte-level BPE tokenizer with the real
// vocabulary (../shared/clip/bpe_simple_vocab_16e6.txt.gz beside the repository, or
// $CHROMATUNE_CLIP_VOCAB). Checks: nothing throws or crashes; invalid UTF-8 is an error, not a
// token; ids are in the vocabulary; EncodeForContext with truncation always gives exactly the
// context length, framed by the start and end tokens; Decode takes any ids.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "experiments/models/clip/bpe_tokenizer.h"
#include "experiments/models/clip/text_clean.h"

using namespace chromatune;
using chromatune::models::clip::BpeTokenizer;

#ifndef CHROMATUNE_SOURCE_DIR
#define CHROMATUNE_SOURCE_DIR "."
#endif

namespace {

void Die(const std::string& what) {
  std::fprintf(stderr, "text_fuzz: %s\n", what.c_str());
  std::abort();
}

const BpeTokenizer& Tokenizer() {
  static const std::unique_ptr<BpeTokenizer> tokenizer = [] {
    const char* env = std::getenv("CHROMATUNE_CLIP_VOCAB");
    const std::string path = env && *env ? env
                                         : std::string(CHROMATUNE_SOURCE_DIR) +
                                               "/../shared/clip/bpe_simple_vocab_16e6.txt.gz";
    auto loaded = BpeTokenizer::Load(path);
    if (!loaded.ok()) Die("the vocabulary is needed: " + loaded.status().ToString());
    return std::make_unique<BpeTokenizer>(std::move(loaded).value());
  }();
  return *tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Tokenizer();  // loaded once, before the clock of the first input starts
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool utf8 = models::clip::DecodeUtf8(text).ok();
  auto cleaned = models::clip::CleanText(text);
  if (cleaned.ok() != utf8) Die("CleanText and DecodeUtf8 disagree on UTF-8");
  const BpeTokenizer& bpe = Tokenizer();
  auto ids = bpe.Encode(text);
  if (ids.ok() != utf8) Die("Encode and DecodeUtf8 disagree on UTF-8");
  if (ids.ok()) {
    for (int64_t id : *ids) {
      if (id < 0 || id >= BpeTokenizer::kVocabSize) Die("id out of the vocabulary");
    }
    (void)bpe.Decode(*ids);
    auto framed = bpe.EncodeForContext(text, 77, /*truncate=*/true);
    if (!framed.ok()) Die("EncodeForContext(truncate) failed: " + framed.status().ToString());
    if (framed->size() != 77 || (*framed)[0] != BpeTokenizer::kStartOfText) {
      Die("EncodeForContext(truncate) gave a malformed context");
    }
    (void)bpe.EncodeForContext(text, 8, /*truncate=*/false);
  }
  // Any ids, including ones out of range, decode.
  std::vector<int64_t> raw;
  for (size_t i = 0; i + 2 <= size && raw.size() < 64; i += 2) {
    raw.push_back(static_cast<int64_t>(data[i]) << 8 | data[i + 1]);
  }
  (void)bpe.Decode(raw);
  return 0;
}
