// `csv:FILE`: a CSV manifest of images.
//
//   path,label[,split][,classname]      the header: these columns in any order; others are
//                                       ignored (they may hold the user's own metadata)
//   path       the image, relative to image_root (default: the CSV's folder) or absolute
//   label      a class name, or an integer label 0..C-1 whose name comes from the classname
//              column or, without one, from classnames.txt beside the CSV (one name per
//              line, line 1 naming label 0); names and integers do not mix in one file
//   split      train | val | test (default train)
//   classname  the name of an integer label (the same label must always get the same name)
// With names as labels, classes are the sorted distinct names. Quoting follows RFC 4180
// (fields in double quotes may hold commas, quotes written "" and line breaks); CRLF or LF
// line ends, a UTF-8 byte-order mark and blank lines are accepted. Errors give FILE:LINE
// and the class where one is at fault: a missing column, a row with the wrong number of
// fields, an unterminated quote, an empty path, an unknown split, a label out of range or
// without a name, a label named twice differently, a path listed twice, a class without
// images, an image_root that is not a folder.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/sources/manifest.h"

namespace chromatune::datasets {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// Splits `text` into records (RFC 4180); `file` names it in errors. Blank lines are skipped.
Result<std::vector<CsvRecord>> ParseCsv(const std::string& text, const std::string& file);

Result<DatasetManifest> ReadCsvManifest(const std::string& csv_path,
                                        const std::string& image_root = "");

}  // namespace chromatune::datasets
