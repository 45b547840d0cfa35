#include "experiments/methods/proposal_views.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "datasets/resample.h"

namespace chromatune::methods {
namespace {

std::string ColorKey(const datasets::Rgb& c) {
  return std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b);
}

// CLIP's preprocessing of a crop or marked copy of an original. It fails only for an empty or
// non-RGB image or side < 1; originals are decoded RGB (LoadRefexpExamples) and crops hold at
// least one pixel, so a failure is a bug here: it throws, which fails the trial with the
// message (worker/trial_execution.cc) instead of scoring made-up pixels.
datasets::Image Preprocess(const datasets::Image& picture, int side) {
  Result<datasets::Image> ready = datasets::ClipPreprocess(picture, side);
  if (!ready.ok()) throw std::logic_error("grounding view: " + ready.status().ToString());
  return std::move(ready).value();
}

// The picture a marker is drawn on: a copy of the original, or of the FashionRef canvas.
datasets::Image Canvas(const datasets::GroundingExample& ex) {
  return ex.original ? *ex.original : ex.image;
}

// A marked canvas as the model sees it.
datasets::Image Finish(const datasets::GroundingExample& ex, datasets::Image canvas, int side) {
  return ex.original ? Preprocess(canvas, side) : canvas;
}

}  // namespace

datasets::Image CropBox(const datasets::Image& image, const datasets::Box& box) {
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
  return crop;
}

datasets::Image CropResize(const datasets::Image& image, const datasets::Box& box, int side) {
  return datasets::ResizeBilinear(CropBox(image, box), side, side);
}

ProposalViews CropViews(const datasets::GroundingExample& ex, int side,
                        const std::string& key_prefix) {
  ProposalViews v;
  v.texts.push_back({ex.query, "", -1});
  const std::string spec = (ex.original ? "/clip-crop" : "/crop") + std::to_string(side);
  for (size_t p = 0; p < ex.proposals.size(); ++p) {
    v.views.push_back(ex.original ? Preprocess(CropBox(*ex.original, ex.proposals[p]), side)
                                  : CropResize(ex.image, ex.proposals[p], side));
    v.keys.push_back(key_prefix + spec + "/" + std::to_string(p));
    v.view_of.push_back(static_cast<int64_t>(p));
    v.text_of.push_back(0);
  }
  return v;
}

ProposalViews CptViews(const datasets::GroundingExample& ex, const CptMarker& marker, int side,
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
  if (ex.original) spec += "/clip" + std::to_string(side);
  const int64_t renders = (num_p + num_c - 1) / num_c;
  for (int64_t r = 0; r < renders; ++r) {
    datasets::Image img = Canvas(ex);
    for (int64_t j = 0; j < num_c && r * num_c + j < num_p; ++j) {
      const int64_t p = r * num_c + j;
      if (marker.mask && static_cast<int64_t>(ex.proposal_masks.size()) == num_p) {
        datasets::BlendMask(&img, ex.proposal_masks[p], marker.colors[j].rgb, marker.alpha);
      } else {
        datasets::BlendBox(&img, ex.proposals[p], marker.colors[j].rgb, marker.alpha);
      }
    }
    v.views.push_back(Finish(ex, std::move(img), side));
    v.keys.push_back(key_prefix + spec + "/r" + std::to_string(r));
  }
  for (int64_t p = 0; p < num_p; ++p) {
    v.view_of.push_back(p / num_c);
    v.text_of.push_back(p % num_c);
  }
  return v;
}

ProposalViews RedCircleViews(const datasets::GroundingExample& ex, datasets::Rgb color,
                             int thickness, int side, const std::string& key_prefix) {
  ProposalViews v;
  v.texts.push_back({ex.query, "", -1});
  std::string spec = "/circle/" + ColorKey(color) + "/t" + std::to_string(thickness);
  int drawn = thickness;
  if (ex.original) {
    spec += "/clip" + std::to_string(side);
    const int shorter = std::min(ex.original->height, ex.original->width);
    drawn = std::max(1, static_cast<int>(std::lround(static_cast<double>(thickness) * shorter /
                                                     std::max(side, 1))));
  }
  for (size_t p = 0; p < ex.proposals.size(); ++p) {
    datasets::Image img = Canvas(ex);
    datasets::DrawEllipse(&img, ex.proposals[p], color, drawn);
    v.views.push_back(Finish(ex, std::move(img), side));
    v.keys.push_back(key_prefix + spec + "/" + std::to_string(p));
    v.view_of.push_back(static_cast<int64_t>(p));
    v.text_of.push_back(0);
  }
  return v;
}

}  // namespace chromatune::methods
