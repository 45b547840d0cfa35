// "did you mean" suggestions for misspelt keys and names.
#pragma once

#include <string>
#include <vector>

namespace chromatune {

// Edit distance in bytes: insertions, deletions, substitutions and swaps of two adjacent
// characters each count 1 (optimal string alignment), so "purpel" is 1 from "purple".
size_t EditDistance(const std::string& a, const std::string& b);

// The candidate closest to `word` if it is close enough to be a likely typo (distance at
// most max(1, |word| / 3), or a case-insensitive match), else "".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean \"X\"?)" for ClosestMatch, else "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace chromatune
