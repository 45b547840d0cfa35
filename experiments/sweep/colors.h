// Colour names and palettes a sweep file may use for CPT (`color`, `palette`).
//
// The words are those of the pretraining corpus (datasets/colors.h BlockPalette, kept equal
// by hand: this library stays independent of datasets/), so a colour prompt "... is in
// purple color" asks for a word the backbone has seen. A colour resolves to
// {"name": WORD, "rgb": [r, g, b]}; WORD is what the method puts in its text prompt.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chromatune {

struct SweepColor {
  std::string key;   // what the file writes, e.g. "red" or "cpt-red"
  std::string word;  // the colour word of the prompt, e.g. "red"
  std::array<int, 3> rgb;
};

// red (250,0,45), purple (140,70,165), green (100,250,0), yellow (250,250,45),
// blue (0,40,250) (CPT's 5-colour set), orange (250,140,0), pink (250,120,200),
// cyan (0,220,230), and cpt-red (240,0,30), the colour of CPT's released code (word "red").
const std::vector<SweepColor>& SweepColors();
std::optional<SweepColor> FindSweepColor(const std::string& key);

// The word of the named colour nearest to `rgb` (Euclidean in RGB; cpt-red excluded, as it
// shares its word with red). Names an [r, g, b] colour written in a file.
std::string NearestColorWord(const std::array<int, 3>& rgb);

// {"name": word, "rgb": [r, g, b]}
nlohmann::json ColorJson(const std::string& word, const std::array<int, 3>& rgb);

struct SweepPalette {
  std::string key;                  // e.g. "cpt-5"
  std::vector<std::string> colors;  // keys of SweepColors()
};

// cpt-5: red, purple, green, yellow, blue (CPT's order); all-8: the eight words above.
const std::vector<SweepPalette>& SweepPalettes();
std::optional<SweepPalette> FindSweepPalette(const std::string& key);

}  // namespace chromatune
