// Decoding users' images once: each file is decoded, preprocessed (ClipPreprocess: shorter
// side to `size` with Pillow's bicubic, centre crop) and kept on disk, so the second trial of
// a sweep, and every later sweep on the same files, reads size x size x 3 raw bytes instead
// of decoding a JPEG again. Files are decoded by a pool of threads.
//
// Cache entries are named by the SHA-256 of (the file's absolute path, size, modification
// time, `size`, kPreprocessVersion): a file rewritten in place is decoded again, and a
// change to the preprocessing bumps the version. Entries are written to a temporary name and
// renamed, so concurrent workers sharing a cache directory never read half an entry.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/image.h"

namespace chromatune::datasets {

// Bump when ClipPreprocess (resample.h) or the decoders change what they produce.
inline constexpr const char* kPreprocessVersion = "clip-bicubic-crop-1";

struct ImageLoadOptions {
  int size = 224;         // output side
  std::string cache_dir;  // "" = no disk cache
  int threads = 2;        // decoding threads
};

// The preprocessed images of `paths`, in order. The error names the first file that is
// missing, not a regular file, or cannot be decoded.
Result<std::vector<Image>> LoadPreprocessedImages(const std::vector<std::string>& paths,
                                                  const ImageLoadOptions& options);

// The images of `paths` decoded at their own resolution (RGB), in order, by `threads`
// threads; not cached on disk (a raw original is several times its JPEG, and the grounding
// data that needs originals keeps them in memory for the life of its task: refexp.h). Errors
// as LoadPreprocessedImages.
Result<std::vector<Image>> DecodeImages(const std::vector<std::string>& paths, int threads);

}  // namespace chromatune::datasets
