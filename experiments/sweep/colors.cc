#include "experiments/sweep/colors.h"

namespace chromatune {

const std::vector<SweepColor>& SweepColors() {
  static const std::vector<SweepColor> kColors = {
      {"red", "red", {250, 0, 45}},      {"purple", "purple", {140, 70, 165}},
      {"green", "green", {100, 250, 0}}, {"yellow", "yellow", {250, 250, 45}},
      {"blue", "blue", {0, 40, 250}},    {"orange", "orange", {250, 140, 0}},
      {"pink", "pink", {250, 120, 200}}, {"cyan", "cyan", {0, 220, 230}},
      {"cpt-red", "red", {240, 0, 30}},
  };
  return kColors;
}

std::optional<SweepColor> FindSweepColor(const std::string& key) {
  for (const auto& c : SweepColors()) {
    if (c.key == key) return c;
  }
  return std::nullopt;
}

std::string NearestColorWord(const std::array<int, 3>& rgb) {
  std::string best;
  long best_distance = -1;
  for (const auto& c : SweepColors()) {
    if (c.key != c.word) continue;  // cpt-red: an alias of the word "red"
    long d = 0;
    for (int i = 0; i < 3; ++i) d += static_cast<long>(c.rgb[i] - rgb[i]) * (c.rgb[i] - rgb[i]);
    if (best_distance < 0 || d < best_distance) {
      best_distance = d;
      best = c.word;
    }
  }
  return best;
}

nlohmann::json ColorJson(const std::string& word, const std::array<int, 3>& rgb) {
  return {{"name", word}, {"rgb", {rgb[0], rgb[1], rgb[2]}}};
}

const std::vector<SweepPalette>& SweepPalettes() {
  static const std::vector<SweepPalette> kPalettes = {
      {"cpt-5", {"red", "purple", "green", "yellow", "blue"}},
      {"all-8", {"red", "purple", "green", "yellow", "blue", "orange", "pink", "cyan"}},
  };
  return kPalettes;
}

std::optional<SweepPalette> FindSweepPalette(const std::string& key) {
  for (const auto& p : SweepPalettes()) {
    if (p.key == key) return p;
  }
  return std::nullopt;
}

}  // namespace chromatune
