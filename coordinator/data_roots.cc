#include "coordinator/data_roots.h"

#include <filesystem>

#include "experiments/sweep/backbone_ref.h"

namespace chromatune::coordinator {
namespace {

namespace fs = std::filesystem;

// The part after `prefix` when `name` starts with it.
bool After(const std::string& name, const std::string& prefix, std::string* rest) {
  if (name.rfind(prefix, 0) != 0) return false;
  *rest = name.substr(prefix.size());
  return true;
}

// `path` resolved as far as it exists (symlinks followed), the rest appended lexically.
fs::path Resolve(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

// True when `path` is `root` or lies below it (whole components: /data2 is not under /data).
bool Under(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> SweepPaths(const SweepSpec& spec) {
  std::vector<std::string> out;
  std::string rest;
  for (const char* prefix : {"imagefolder:", "csv:", "coop-split:", "refexp:"}) {
    if (After(spec.dataset, prefix, &rest)) out.push_back(rest);
  }
  if (!spec.dataset_options.image_root.empty()) out.push_back(spec.dataset_options.image_root);
  if (!spec.dataset_options.proposals.empty()) out.push_back(spec.dataset_options.proposals);
  if (After(spec.backbone, "torchscript:", &rest)) out.push_back(rest);
  if (After(spec.backbone, "clip:", &rest)) {
    auto ref = ParseClipBackbone(spec.backbone);
    if (ref.ok()) {
      out.push_back(ref->checkpoint);
      out.push_back(ref->vocab);
    } else {
      out.push_back(rest.substr(0, rest.find('?')));
    }
  }
  return out;
}

Status CheckDataRoots(const SweepSpec& spec, const std::vector<std::string>& roots) {
  if (roots.empty()) return Status::Ok();
  std::vector<fs::path> resolved;
  std::string listed;
  for (const auto& root : roots) {
    resolved.push_back(Resolve(root));
    listed += (listed.empty() ? "" : ", ") + resolved.back().string();
  }
  for (const auto& path : SweepPaths(spec)) {
    const fs::path real = Resolve(path);
    bool inside = false;
    for (const auto& root : resolved) inside = inside || Under(real, root);
    if (!inside) {
      return PermissionDenied(spec.origin + ": " + path +
                              " is not under a data root of this coordinator (--data-root " +
                              listed + "); symlinks count where they lead");
    }
  }
  return Status::Ok();
}

}  // namespace chromatune::coordinator
