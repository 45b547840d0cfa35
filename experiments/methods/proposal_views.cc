#include "experiments/methods/proposal_views.h"

#include <algorithm>
#include <cstdio>

namespace chromatune::methods {
namespace {

std::string ColorKey(const datasets::Rgb& c) {
  return std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b);
}

}  // namespace

datasets::Image CropResize(const datasets::Image& image, const datasets::Box& box, int side) {
  datasets::PixelRect r = datasets::ToPixelRect(box, image.height, image.width);
  if (r.empty()) {
    const int x = std::clamp(static_cast<int>(box.center_x()), 0, image.width - 1);
    const int y = std::clamp(static_cast<int>(box.center_y()), 0, image.height - 1);
    r = {x, y, x + 1, y + 1};
  }
  datasets::Image crop(r.y1 - r.y0, r.x1 - r.x0, image.channels);
  for (int y = r.y0; y < r.y1; ++y) {
    std::copy_n(&image.pixels[(static_cast<size_t>(y) * image.width + r.x0) * image.channels],
                static_cast<size_t>(r.x1 - r.x0) * image.channels,
                &crop.pixels[static_cast<size_t>(y - r.y0) * crop.width * crop.channels]);
  }
  return datasets::ResizeBilinear(crop, side, side);
}

ProposalViews CropViews(const datasets::GroundingExample& ex, int side,
                        const std::string& key_prefix) {
  ProposalViews v;
  v.texts.push_back({ex.query, "", -1});
  for (size_t p = 0; p < ex.proposals.size(); ++p) {
    v.views.push_back(CropResize(ex.image, ex.proposals[p], side));
    v.keys.push_back(key_prefix + "/crop" + std::to_string(side) + "/" + std::to_string(p));
    v.view_of.push_back(static_cast<int64_t>(p));
    v.text_of.push_back(0);
  }
  return v;
}

ProposalViews CptViews(const datasets::GroundingExample& ex, const CptMarker& marker,
                       const std::string& key_prefix) {
  ProposalViews v;
  const int64_t num_p = static_cast<int64_t>(ex.proposals.size());
  const int64_t num_c = static_cast<int64_t>(marker.colors.size());
  for (const auto& c : marker.colors) v.texts.push_back({ex.query, c.name, -1});
  std::string spec = std::string(marker.mask ? "/cpt-mask" : "/cpt-block");
  char alpha[32];
  std::snprintf(alpha, sizeof(alpha), "%.6f", marker.alpha);
  spec += std::string("/a") + alpha;
  for (const auto& c : marker.colors) spec += "/" + ColorKey(c.rgb);
  const int64_t renders = (num_p + num_c - 1) / num_c;
  for (int64_t r = 0; r < renders; ++r) {
    datasets::Image img = ex.image;
    for (int64_t j = 0; j < num_c && r * num_c + j < num_p; ++j) {
      const int64_t p = r * num_c + j;
      if (marker.mask && static_cast<int64_t>(ex.proposal_masks.size()) == num_p) {
        datasets::BlendMask(&img, ex.proposal_masks[p], marker.colors[j].rgb, marker.alpha);
      } else {
        datasets::BlendBox(&img, ex.proposals[p], marker.colors[j].rgb, marker.alpha);
      }
    }
    v.views.push_back(std::move(img));
    v.keys.push_back(key_prefix + spec + "/r" + std::to_string(r));
  }
  for (int64_t p = 0; p < num_p; ++p) {
    v.view_of.push_back(p / num_c);
    v.text_of.push_back(p % num_c);
  }
  return v;
}

ProposalViews RedCircleViews(const datasets::GroundingExample& ex, datasets::Rgb color,
                             int thickness, const std::string& key_prefix) {
  ProposalViews v;
  v.texts.push_back({ex.query, "", -1});
  const std::string spec = "/circle/" + ColorKey(color) + "/t" + std::to_string(thickness);
  for (size_t p = 0; p < ex.proposals.size(); ++p) {
    datasets::Image img = ex.image;
    datasets::DrawEllipse(&img, ex.proposals[p], color, thickness);
    v.views.push_back(std::move(img));
    v.keys.push_back(key_prefix + spec + "/" + std::to_string(p));
    v.view_of.push_back(static_cast<int64_t>(p));
    v.text_of.push_back(0);
  }
  return v;
}

}  // namespace chromatune::methods
