// Fingerprints of what a trial reads besides its parameters: the backbone and the dataset.
// They enter the trial key (trial_key.h), so a changed model file or data set is never
// mistaken for the one a stored result came from. All are lower-case SHA-256 hex.
//
//   builtin:NAME              SHA-256 of "NAME\n" + kBuiltinBackboneSpecVersion
//   builtin:NAME?seed=S       the same + "\nseed=S" (a backbone seed, backbone_ref.h)
//   torchscript:PATH          SHA-256 of the file's bytes
//   clip:PATH[?vocab=F...]    SHA-256 of the checkpoint's SHA-256, the vocabulary's SHA-256
//                             and the activation (backbone_ref.h)
// File hashes are cached per (path, size, mtime) in the process.
//   fashion-mnist[-shift], fashion-ref[-shift]
//                             SHA-256 of the four IDX file names and sizes (not contents:
//                             fast) + kFashionGeneratorVersion
//   imagefolder:ROOT, csv:PATH, coop-split:PATH, refexp:PATH
//                             the manifest's content and each image's relative path and
//                             size, never the paths of the files themselves
//                             (datasets/sources/summary.h, which caches them by mtime)
// Errors name the file: kNotFound for a missing one (with the fix for Fashion-MNIST),
// kIoError for an unreadable one, kInvalidArgument for an unknown name.
#pragma once

#include <string>

#include "common/status.h"
#include "datasets/sources/dataset_options.h"

namespace chromatune {

// Bump when the builtin backbone definitions or their pretraining recipe change.
inline constexpr const char* kBuiltinBackboneSpecVersion = "builtin-backbones-1";
// Bump when the Fashion-MNIST compositor, FashionRef or the shift renderer change.
// 2: support, validation and pretraining pools (datasets/fashion_pools.h); eval.domain.
inline constexpr const char* kFashionGeneratorVersion = "fashion-generator-2";

// Where Fashion-MNIST's IDX files are: $CHROMATUNE_FASHION_MNIST_DIR if set, else
// /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
std::string FashionMnistDir();

Result<std::string> BackboneFingerprint(const std::string& backbone);
// `options` (the sweep's dataset mapping) matter to users' datasets: image_root says where
// the images are, a proposals file's bytes enter the fingerprint; eval options do not.
Result<std::string> DatasetFingerprint(const std::string& dataset,
                                       const datasets::DatasetOptions& options = {});

}  // namespace chromatune
