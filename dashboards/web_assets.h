// The dashboard's page and scripts, embedded in the binary at build time
// (dashboards/embed_assets.cmake) so that nothing is fetched from a CDN or the source tree
// at run time.
#pragma once

#include <string_view>

namespace chromatune::dashboards {

struct WebAsset {
  std::string_view path;          // "/index.html", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

// The asset served at `path`, or nullptr.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace chromatune::dashboards
