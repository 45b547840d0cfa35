// Fuzzes the pickle reader of torch.save files (experiments/models/clip/pickle_reader.h):
// any byte string is either a value or an error naming its byte offset; nothing throws,
// crashes or uses memory beyond a bound of the input.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "experiments/models/clip/pickle_reader.h"

using namespace chromatune;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto value = models::clip::ReadPickle(bytes, "data.pkl");
  if (!value.ok() && value.status().message().find("data.pkl") == std::string::npos) {
    std::fprintf(stderr, "pickle_fuzz: an error that does not name the file: %s\n",
                 value.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
