// CSV cells for files people open in spreadsheets (RFC 4180 quoting).
//
// Text cells (names, parameters, notes, errors; never numbers) that start with '=', '+',
// '-' or '@' (or a tab or carriage return) are neutralised with a leading apostrophe, so a
// spreadsheet shows them as text instead of evaluating them as a formula (CSV injection,
// issue 18 item 9). Numbers are written as they are: -0.5 stays -0.5.
#pragma once

#include <string>
#include <string_view>

namespace chromatune {

// A text cell: neutralised, then quoted when it holds ',', '"', CR or LF.
std::string CsvText(std::string_view text);

// A number: NaN and infinities as an empty cell, otherwise 17 significant digits (round
// trip).
std::string CsvNumber(double value);

}  // namespace chromatune
