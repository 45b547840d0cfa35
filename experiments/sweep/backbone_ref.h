// What a `clip:` backbone name says, and the path-free names that trial keys use.
//
// A sweep writes `backbone: clip:PATH` or the mapping `{source: clip:PATH, vocab: FILE,
// activation: quick_gelu | gelu}` (../shared/INTERFACES.md); the spec turns either into one
// name string, `clip:PATH` with `?vocab=FILE` and `&activation=gelu` appended when they
// differ from the defaults, and every later stage (plan items, workers, `chromatune model`)
// reads it back with ParseClipBackbone. Paths are absolute once the spec resolved them.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace chromatune {

struct ClipBackboneRef {
  std::string checkpoint;  // the weights file
  std::string vocab;       // the BPE vocabulary file
  bool quick_gelu = true;  // OpenAI's models; open_clip's own models use exact GELU
};

inline constexpr const char* kClipVocabFileName = "bpe_simple_vocab_16e6.txt.gz";

// Parses "clip:PATH[?vocab=FILE][&activation=gelu|quick_gelu]". Without vocab=, the
// vocabulary is kClipVocabFileName beside the checkpoint; when that file is absent the error
// says where it looked and how to name one. Errors: not a clip: name, empty path, unknown
// option.
Result<ClipBackboneRef> ParseClipBackbone(const std::string& name);

// The inverse: the canonical name of `ref` (options only where they are not the defaults).
std::string ClipBackboneName(const ClipBackboneRef& ref);

// The backbone and dataset as trial keys name them: without file paths, which the content
// fingerprints stand for (a moved checkpoint or dataset keeps its trial keys).
// "clip:/x/ViT-B-32.pt?vocab=/v.gz" -> "clip:", with "?activation=gelu" kept because it
// changes the model; "torchscript:/m.pt" -> "torchscript:"; "refexp:/d/refs.json" ->
// "refexp:"; names without a path (builtin:..., fashion-mnist) are unchanged.
std::string BackboneKeyName(const std::string& backbone);
std::string DatasetKeyName(const std::string& dataset);

// Builtin backbones ("builtin:...") are pretrained by chromatune itself, so they have a
// pretraining seed that `replicates.backbone_seeds` varies; clip:, torchscript: and spec:
// backbones are the weights of a file.
bool IsBuiltinBackbone(const std::string& backbone);

// The name of builtin backbone `backbone` pretrained with seed `seed` (the PretrainSpec's
// `seed`: initialisation and batch order): "builtin:tiny-clip" -> "builtin:tiny-clip?seed=3",
// "builtin:tiny-clip?steps=20" -> "builtin:tiny-clip?steps=20&seed=3". The models library
// reads it as an override (models/backbone.h), so the seed enters the spec hash and thus
// the checkpoint cache key. Precondition: IsBuiltinBackbone(backbone), without a seed= of
// its own (an override given twice is an error where the name is read).
std::string SeededBackboneName(const std::string& backbone, int64_t seed);

}  // namespace chromatune
