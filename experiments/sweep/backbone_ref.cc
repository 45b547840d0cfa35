#include "experiments/sweep/backbone_ref.h"

#include <filesystem>

namespace chromatune {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

Result<ClipBackboneRef> ParseClipBackbone(const std::string& name) {
  if (!StartsWith(name, "clip:"))
    return InvalidArgument("\"" + name + "\" is not a clip: backbone");
  std::string rest = name.substr(5);
  ClipBackboneRef ref;
  const size_t q = rest.find('?');
  ref.checkpoint = rest.substr(0, q);
  if (ref.checkpoint.empty()) {
    return InvalidArgument("backbone \"" + name + "\": clip: needs the checkpoint's path");
  }
  if (q != std::string::npos) {
    std::string options = rest.substr(q + 1);
    size_t start = 0;
    while (start <= options.size()) {
      size_t amp = options.find('&', start);
      if (amp == std::string::npos) amp = options.size();
      const std::string part = options.substr(start, amp - start);
      const size_t eq = part.find('=');
      const std::string key = part.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : part.substr(eq + 1);
      if (key == "vocab" && !value.empty()) {
        ref.vocab = value;
      } else if (key == "activation" && (value == "gelu" || value == "quick_gelu")) {
        ref.quick_gelu = value == "quick_gelu";
      } else {
        return InvalidArgument("backbone \"" + name + "\": unknown option \"" + part +
                               "\" (known: vocab=FILE, activation=gelu|quick_gelu)");
      }
      start = amp + 1;
    }
  }
  if (ref.vocab.empty()) {
    namespace fs = std::filesystem;
    const fs::path beside = fs::path(ref.checkpoint).parent_path() / kClipVocabFileName;
    std::error_code ec;
    if (!fs::exists(beside, ec)) {
      return NotFound("backbone \"" + name + "\": no BPE vocabulary: looked for " +
                      beside.string() + "; copy CLIP's " + kClipVocabFileName +
                      " there or name it (backbone: {source: clip:PATH, vocab: FILE})");
    }
    ref.vocab = beside.string();
  }
  return ref;
}

std::string ClipBackboneName(const ClipBackboneRef& ref) {
  std::string name = "clip:" + ref.checkpoint + "?vocab=" + ref.vocab;
  if (!ref.quick_gelu) name += "&activation=gelu";
  return name;
}

std::string BackboneKeyName(const std::string& backbone) {
  if (StartsWith(backbone, "clip:")) {
    auto ref = ParseClipBackbone(backbone);
    return ref.ok() && !ref->quick_gelu ? "clip:?activation=gelu" : "clip:";
  }
  if (StartsWith(backbone, "torchscript:")) return "torchscript:";
  return backbone;
}

bool IsBuiltinBackbone(const std::string& backbone) { return StartsWith(backbone, "builtin:"); }

std::string SeededBackboneName(const std::string& backbone, int64_t seed) {
  const char joint = backbone.find('?') == std::string::npos ? '?' : '&';
  return backbone + joint + "seed=" + std::to_string(seed);
}

std::string DatasetKeyName(const std::string& dataset) {
  for (const char* scheme : {"coop-split:", "refexp:", "imagefolder:", "csv:"}) {
    if (StartsWith(dataset, scheme)) return scheme;
  }
  return dataset;
}

}  // namespace chromatune
