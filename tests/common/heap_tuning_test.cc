#include "common/heap_tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace chromatune {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizedHeap = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizedHeap = true;
#else
constexpr bool kSanitizedHeap = false;
#endif
#else
constexpr bool kSanitizedHeap = false;
#endif

// A 64 MiB block, above glibc's largest dynamic mmap threshold (32 MiB), comes from the
// heap after tuning, not from its own mapping: mallinfo2 counts mapped bytes in hblkhd.
TEST(HeapTuningTest, LargeBlocksComeFromTheHeap) {
  if (kSanitizedHeap) GTEST_SKIP() << "the sanitizer's allocator replaces glibc's";
  ASSERT_TRUE(TuneHeapForTensors());
  constexpr size_t kBytes = 64u << 20;
  const size_t mapped_before = mallinfo2().hblkhd;
  void* block = std::malloc(kBytes);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBytes);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the 64 MiB block was mmapped";
  std::free(block);
}

}  // namespace
}  // namespace chromatune
