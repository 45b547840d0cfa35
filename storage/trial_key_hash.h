// The 64-bit hash of a trial key that the result store indexes instead of the key text
// (schema version 3, storage/migrations.cc).
//
// Contract: the value is stored in database files, so it never changes: FNV-1a 64 over the
// key's bytes, read as a signed 64-bit integer (SQLite's INTEGER). It only narrows a lookup:
// every query that finds a trial by hash also compares the key itself, so two keys with the
// same hash are still told apart.
//
// Why: plan keys are 64-character SHA-256 hex strings in random order; indexing the text
// made each insert a random B-tree insert comparing long strings (about a third of the CPU
// of creating a 100,000-trial sweep, and as much again when those trials finished:
// bench/store/RESULTS.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace chromatune {

inline int64_t TrialKeyHash(std::string_view key) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;  // FNV-1a 64 prime
  }
  return static_cast<int64_t>(h);
}

}  // namespace chromatune
