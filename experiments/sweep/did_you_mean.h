// "did you mean" suggestions for misspelt keys and names.
#pragma once

#include <string>
#include <vector>

namespace chromatune {

// Levenshtein distance (insertions, deletions, substitutions; bytes).
size_t EditDistance(const std::string& a, const std::string& b);

// The candidate closest to `word` if it is close enough to be a likely typo (distance at
// most max(1, |word| / 3), or a case-insensitive match), else "".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean \"X\"?)" for ClosestMatch, else "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace chromatune
