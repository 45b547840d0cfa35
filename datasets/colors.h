// Named colours: the words the caption corpus uses for colour blocks, and CPT's palettes.
//
// The pretraining corpus draws block colours from BlockPalette() (every name in it appears in
// captions, so a tokenizer built from CaptionVocabulary() knows them). CptColors() is CPT's
// earlier 5-colour set, and CptRed() the single colour of CPT's released code; both are
// subsets of the palette by name, so a colour prompt "... is in purple color" uses a word the
// backbone saw in pretraining.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "datasets/image.h"

namespace chromatune::datasets {

struct NamedColor {
  std::string name;  // one lower-case word, e.g. "red"
  Rgb rgb;
};

// red (250,0,45), purple (140,70,165), green (100,250,0), yellow (250,250,45),
// blue (0,40,250) — CPT's 5-colour set, in that order.
const std::vector<NamedColor>& CptColors();

// CPT's released-code marker colour: red (240,0,30), used at alpha 127/255.
NamedColor CptRed();

// Every colour of the pretraining corpus: CptColors() followed by orange (250,140,0),
// pink (250,120,200), cyan (0,220,230). Block colours are jittered by up to +-20 per channel
// around these in pretraining (so both CPT reds are "red").
const std::vector<NamedColor>& BlockPalette();

// The palette entry with this name, or nullopt.
std::optional<NamedColor> FindColor(const std::string& name);

}  // namespace chromatune::datasets
