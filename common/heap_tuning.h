// Heap settings for a process that allocates and frees large tensors over and over.
//
// glibc serves every allocation above its mmap threshold (dynamic, at most 32 MiB) with a
// fresh mmap and returns it with munmap on free, so each evaluation chunk's activations (tens
// to hundreds of MiB) were page-faulted in anew on every forward pass: a grounding
// fine-tuning trial spent as much time in the kernel as in LibTorch (16 s sys of 34 s wall on
// the development VM; 0.35 s sys and 16 s wall with the settings below, identical results).
// TuneHeapForTensors raises the mmap and trim thresholds to 1 GiB so freed blocks stay in
// the heap and are reused; peak memory is unchanged, memory is returned to the kernel later.
#pragma once

namespace chromatune {

// Call at the start of main, before threads start. A setting the user already made through
// glibc's environment (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_) is
// left as it is. Returns false when mallopt refused a setting (not glibc, or a sanitizer's
// allocator): the process then runs with the defaults, which is correct, only slower.
bool TuneHeapForTensors();

}  // namespace chromatune
