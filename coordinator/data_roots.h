// Data roots (`coordinator --data-root DIR`, repeatable; issue 18 item 8): a shared
// coordinator reads the files a sweep names (dataset manifests, image folders, proposals,
// checkpoints, vocabularies) to fingerprint them, with its own permissions. With data roots
// it does so only for paths that resolve, symlinks followed, to a place under one of them,
// so that a user cannot have it read (or probe the existence of) /etc/shadow or another
// lab's data through a sweep file.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "experiments/sweep/spec.h"

namespace chromatune::coordinator {

// The file-system paths a sweep's dataset and backbone name, as the spec resolved them
// (absolute): the dataset's PATH (imagefolder:, csv:, coop-split:, refexp:), its image_root
// and proposals, a torchscript: file, a clip: checkpoint and its vocabulary. Builtin names
// have none.
std::vector<std::string> SweepPaths(const SweepSpec& spec);

// Ok when `roots` is empty, or when every path of SweepPaths(spec) resolves (canonical form,
// symlinks followed as far as they exist) to a root or a place under one (roots resolved the
// same way). Otherwise kPermissionDenied naming the sweep's path and the roots, and nothing
// about what is there.
Status CheckDataRoots(const SweepSpec& spec, const std::vector<std::string>& roots);

}  // namespace chromatune::coordinator
