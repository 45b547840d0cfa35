#include "storage/trial_key_hash.h"

#include <gtest/gtest.h>

namespace chromatune {
namespace {

// The hash is stored in database files: these values must never change.
TEST(TrialKeyHashTest, IsFnv1a64AsSignedInteger) {
  EXPECT_EQ(static_cast<uint64_t>(TrialKeyHash("")), 0xcbf29ce484222325ull);
  EXPECT_EQ(static_cast<uint64_t>(TrialKeyHash("a")), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(static_cast<uint64_t>(TrialKeyHash("foobar")), 0x85944171f73967e8ull);
  EXPECT_NE(TrialKeyHash("k1"), TrialKeyHash("k2"));
}

}  // namespace
}  // namespace chromatune
