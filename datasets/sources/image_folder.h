// `imagefolder:ROOT`: a directory of class folders per split, as torchvision's ImageFolder
// and ImageNet's layout have it.
//
//   ROOT/train/<class>/*    required
//   ROOT/test/<class>/*     the evaluation split
//   ROOT/val/<class>/*      optional; without test/ (ImageNet: train/ and val/), val/ is what
//                           trials evaluate on, as CoOp evaluates ImageNet
//   ROOT/classnames.txt     optional: "<folder> <class name>" lines, split at the first
//                           whitespace (CoOp's ImageNet file); every folder needs a line
//
// Classes are the sorted folder names of train/ (their names: the folder with '_' as a
// space, or classnames.txt); images are files named *.jpg, *.jpeg, *.png or *.bmp (any case),
// sorted by name; other files and sub-folders are skipped. Errors name the folder or file:
// a missing root or train/, neither test/ nor val/, a class folder in test/ or val/ that
// train/ lacks, a class folder without images, an image name that is not a regular file,
// a classnames.txt line without a name or a folder without a line, two folders with one name.
#pragma once

#include <string>

#include "common/status.h"
#include "datasets/sources/manifest.h"

namespace chromatune::datasets {

inline constexpr const char* kClassNamesFile = "classnames.txt";

// Whether `name` has an image extension (.jpg .jpeg .png .bmp, case-insensitive).
bool HasImageExtension(const std::string& name);

Result<DatasetManifest> ReadImageFolder(const std::string& root);

}  // namespace chromatune::datasets
