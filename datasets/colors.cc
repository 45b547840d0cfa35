#include "datasets/colors.h"

namespace chromatune::datasets {

const std::vector<NamedColor>& CptColors() {
  static const std::vector<NamedColor> kColors = {{"red", {250, 0, 45}},
                                                  {"purple", {140, 70, 165}},
                                                  {"green", {100, 250, 0}},
                                                  {"yellow", {250, 250, 45}},
                                                  {"blue", {0, 40, 250}}};
  return kColors;
}

NamedColor CptRed() { return {"red", {240, 0, 30}}; }

const std::vector<NamedColor>& BlockPalette() {
  static const std::vector<NamedColor> kPalette = [] {
    std::vector<NamedColor> p = CptColors();
    p.push_back({"orange", {250, 140, 0}});
    p.push_back({"pink", {250, 120, 200}});
    p.push_back({"cyan", {0, 220, 230}});
    return p;
  }();
  return kPalette;
}

std::optional<NamedColor> FindColor(const std::string& name) {
  for (const NamedColor& c : BlockPalette()) {
    if (c.name == name) return c;
  }
  return std::nullopt;
}

}  // namespace chromatune::datasets
