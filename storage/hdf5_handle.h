// RAII ownership of HDF5 identifiers and the conversion of HDF5 errors to Status (the
// adapter for the HDF5 C API; nothing above storage/artifact_store.cc sees an hid_t).
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "common/status.h"

namespace chromatune {

// Owns one hid_t and closes it with H5Idec_ref (works for every kind of identifier).
class Hdf5Handle {
 public:
  Hdf5Handle() = default;
  explicit Hdf5Handle(hid_t id) : id_(id) {}
  ~Hdf5Handle() { Reset(); }
  Hdf5Handle(Hdf5Handle&& o) noexcept : id_(std::exchange(o.id_, -1)) {}
  Hdf5Handle& operator=(Hdf5Handle&& o) noexcept {
    if (this != &o) {
      Reset();
      id_ = std::exchange(o.id_, -1);
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; for a file, a failure to close (the final flush) is an error to report.
  herr_t Close() {
    herr_t r = id_ >= 0 ? H5Idec_ref(id_) : 0;
    id_ = -1;
    return r < 0 ? -1 : 0;
  }

 private:
  void Reset() {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
};

// Turns off HDF5's printing of error stacks to stderr (errors become Status). Idempotent.
void SilenceHdf5Errors();

// Status for a failed HDF5 call: "PATH: WHAT: <innermost HDF5 message>", with the journal
// driver's cause when there is one (a full disk becomes kResourceExhausted, a held lock
// kUnavailable, a permission problem kPermissionDenied). Clears the HDF5 error stack.
Status Hdf5Error(const std::string& path, const std::string& what);

}  // namespace chromatune
