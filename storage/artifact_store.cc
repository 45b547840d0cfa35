#include "storage/artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "common/sha256.h"
#include "storage/hdf5_handle.h"
#include "storage/hdf5_journal.h"

namespace chromatune {
namespace {

constexpr const char* kFormat = "chromatune-artifacts";
// Version 2: one file per result store, a group per sweep under /sweeps. Version 1 (one
// file per sweep, trials under /trials) is refused with a message saying so.
constexpr int64_t kFormatVersion = 2;
// Elements per curve chunk (8 KiB of int64 or float64).
constexpr hsize_t kCurveChunk = 1024;
// Upper bound of an array chunk: 64 Ki float32 = 256 KiB, a quarter of the default 1 MiB
// chunk cache, so reading along any axis never thrashes it.
constexpr hsize_t kMaxChunkElements = 64 * 1024;
constexpr int kDeflateLevel = 4;

// HDF5 is not thread-safe in Debian's serial build: one call at a time in the process.
std::mutex& Hdf5Mutex() {
  static std::mutex mu;
  return mu;
}

std::string TrialGroupName(int64_t trial_id) {
  char name[32];
  std::snprintf(name, sizeof name, "trial-%08lld", static_cast<long long>(trial_id));
  return name;
}

// Whether every component of the relative `path` ("a/b/c") exists under `loc`. Checked one
// component at a time: H5Lexists fails, rather than answering false, when an intermediate
// group is missing.
bool LinkExists(hid_t loc, const std::string& path) {
  size_t end = 0;
  while (end != std::string::npos) {
    end = path.find('/', end + 1);
    const std::string prefix = path.substr(0, end);
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return true;
}

Status CheckName(const std::string& name, const std::string& what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return InvalidArgument(what + " name \"" + name +
                           "\" is not usable in HDF5 (empty, \".\", \"..\" or contains '/')");
  }
  return Status::Ok();
}

Status ValidateTrial(const TrialArtifactsRef& t) {
  const std::string where = "trial " + std::to_string(t.trial_id);
  std::set<std::string> names;
  for (const NamedArray& a : t.result.arrays) {
    CT_RETURN_IF_ERROR(CheckName(a.name, where + ": array"));
    if (!names.insert(a.name).second) {
      return InvalidArgument(where + ": two arrays named \"" + a.name + "\"");
    }
    int64_t n = 1;
    for (int64_t d : a.shape) {
      if (d < 0) return InvalidArgument(where + ": array " + a.name + " has a negative dim");
      n *= d;
    }
    if (n != static_cast<int64_t>(a.data.size())) {
      return InvalidArgument(where + ": array " + a.name + " has shape of " + std::to_string(n) +
                             " elements but " + std::to_string(a.data.size()) + " values");
    }
  }
  for (const CurvePoint& p : t.result.curves)
    CT_RETURN_IF_ERROR(CheckName(p.name, where + ": curve"));
  return Status::Ok();
}

// ---- attributes ----

Status WriteStringAttr(hid_t obj, const std::string& name, const std::string& value,
                       const std::string& path) {
  Hdf5Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), value.size() + 1);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Hdf5Handle space(H5Screate(H5S_SCALAR));
  Hdf5Handle attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), value.c_str()) < 0) {
    return Hdf5Error(path, "writing attribute " + name);
  }
  return Status::Ok();
}

template <typename T>
Status WriteNumberAttr(hid_t obj, const std::string& name, T value, hid_t type,
                       const std::string& path) {
  Hdf5Handle space(H5Screate(H5S_SCALAR));
  Hdf5Handle attr(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid() || H5Awrite(attr.get(), type, &value) < 0) {
    return Hdf5Error(path, "writing attribute " + name);
  }
  return Status::Ok();
}

// A JSON scalar as an attribute of the matching type; objects and arrays as JSON text.
Status WriteJsonAttr(hid_t obj, const std::string& name, const nlohmann::json& v,
                     const std::string& path) {
  if (v.is_string()) return WriteStringAttr(obj, name, v.get<std::string>(), path);
  if (v.is_boolean()) {
    return WriteNumberAttr<int64_t>(obj, name, v.get<bool>() ? 1 : 0, H5T_NATIVE_INT64, path);
  }
  if (v.is_number_integer()) {
    return WriteNumberAttr<int64_t>(obj, name, v.get<int64_t>(), H5T_NATIVE_INT64, path);
  }
  if (v.is_number()) {
    return WriteNumberAttr<double>(obj, name, v.get<double>(), H5T_NATIVE_DOUBLE, path);
  }
  return WriteStringAttr(obj, name, v.dump(), path);
}

Result<std::string> ReadStringAttr(hid_t obj, const std::string& name, const std::string& path) {
  Hdf5Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) return Hdf5Error(path, "reading attribute " + name);
  Hdf5Handle type(H5Aget_type(attr.get()));
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    H5Eclear2(H5E_DEFAULT);
    return Corruption(path + ": attribute " + name + " is not a fixed-length string");
  }
  std::string buffer(H5Tget_size(type.get()), '\0');
  if (H5Aread(attr.get(), type.get(), buffer.data()) < 0) {
    return Hdf5Error(path, "reading attribute " + name);
  }
  return std::string(buffer.c_str());
}

Result<int64_t> ReadIntAttr(hid_t obj, const std::string& name, const std::string& path) {
  Hdf5Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  int64_t value = 0;
  if (!attr.valid() || H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0) {
    return Hdf5Error(path, "reading attribute " + name);
  }
  return value;
}

// ---- datasets ----

Status WriteDataset(hid_t parent, const std::string& name, hid_t file_type, hid_t mem_type,
                    const std::vector<hsize_t>& dims, bool extendible, hsize_t chunk_limit,
                    const void* data, const std::string& path) {
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  Hdf5Handle space;
  if (dims.empty()) {
    space = Hdf5Handle(H5Screate(H5S_SCALAR));
  } else {
    std::vector<hsize_t> max = dims;
    if (extendible) max.assign(dims.size(), H5S_UNLIMITED);
    space = Hdf5Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.data()));
  }
  Hdf5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (!dims.empty() && (extendible || total > 0)) {
    // Chunk: the whole array, halving the largest dimension until it fits chunk_limit.
    std::vector<hsize_t> chunk = dims;
    for (hsize_t& c : chunk) c = std::max<hsize_t>(c, 1);
    if (extendible) chunk.assign(dims.size(), chunk_limit);
    auto elements = [&] {
      hsize_t n = 1;
      for (hsize_t c : chunk) n *= c;
      return n;
    };
    while (elements() > chunk_limit) {
      auto largest = std::max_element(chunk.begin(), chunk.end());
      *largest = (*largest + 1) / 2;
    }
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), kDeflateLevel);
  }
  Hdf5Handle dset(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                             H5P_DEFAULT));
  if (!dset.valid()) return Hdf5Error(path, "creating dataset " + name);
  if (total > 0 && H5Dwrite(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    return Hdf5Error(path, "writing dataset " + name);
  }
  return Status::Ok();
}

struct DatasetContent {
  std::vector<int64_t> shape;
  std::vector<char> bytes;
};

Result<DatasetContent> ReadDataset(hid_t parent, const std::string& name, hid_t mem_type,
                                   const std::string& path) {
  Hdf5Handle dset(H5Dopen2(parent, name.c_str(), H5P_DEFAULT));
  if (!dset.valid()) return Hdf5Error(path, "opening dataset " + name);
  Hdf5Handle space(H5Dget_space(dset.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) return Hdf5Error(path, "reading the shape of " + name);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  DatasetContent out;
  hsize_t total = 1;
  for (hsize_t d : dims) {
    out.shape.push_back(static_cast<int64_t>(d));
    total *= d;
  }
  out.bytes.resize(total * H5Tget_size(mem_type));
  if (total > 0 &&
      H5Dread(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.bytes.data()) < 0) {
    return Hdf5Error(path, "reading dataset " + name);
  }
  return out;
}

Result<std::vector<std::string>> ListLinks(hid_t group, const std::string& path) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names) < 0) {
    return Hdf5Error(path, "listing a group");
  }
  return names;
}

Status WriteOneTrial(hid_t trials, const TrialArtifactsRef& t, const std::string& path) {
  const std::string name = TrialGroupName(t.trial_id);
  if (H5Lexists(trials, name.c_str(), H5P_DEFAULT) > 0 &&
      H5Ldelete(trials, name.c_str(), H5P_DEFAULT) < 0) {
    return Hdf5Error(path, "replacing " + name);
  }
  Hdf5Handle group(H5Gcreate2(trials, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!group.valid()) return Hdf5Error(path, "creating group " + name);
  CT_RETURN_IF_ERROR(
      WriteNumberAttr<int64_t>(group.get(), "trial_id", t.trial_id, H5T_NATIVE_INT64, path));
  CT_RETURN_IF_ERROR(
      WriteNumberAttr<int64_t>(group.get(), "attempt", t.attempt, H5T_NATIVE_INT64, path));
  CT_RETURN_IF_ERROR(WriteStringAttr(group.get(), "item", t.item.dump(), path));
  CT_RETURN_IF_ERROR(WriteStringAttr(group.get(), "info", t.result.info.dump(), path));
  CT_RETURN_IF_ERROR(WriteNumberAttr<double>(group.get(), "wall_seconds", t.result.wall_seconds,
                                             H5T_NATIVE_DOUBLE, path));
  if (t.item.is_object()) {
    for (const auto& [key, value] : t.item.items()) {
      if (key == "item" || key == "info" || key == "trial_id" || key == "attempt" ||
          key == "wall_seconds") {
        continue;
      }
      CT_RETURN_IF_ERROR(WriteJsonAttr(group.get(), key, value, path));
    }
    auto params = t.item.find("params");
    if (params != t.item.end() && params->is_object()) {
      for (const auto& [key, value] : params->items()) {
        CT_RETURN_IF_ERROR(WriteJsonAttr(group.get(), "param." + key, value, path));
      }
    }
  }

  Hdf5Handle curves(H5Gcreate2(group.get(), "curves", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!curves.valid()) return Hdf5Error(path, "creating curves of " + name);
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<double>>> by_name;
  for (const CurvePoint& p : t.result.curves) {
    by_name[p.name].first.push_back(p.step);
    by_name[p.name].second.push_back(p.value);
  }
  for (const auto& [curve, points] : by_name) {
    Hdf5Handle g(H5Gcreate2(curves.get(), curve.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!g.valid()) return Hdf5Error(path, "creating curve " + curve);
    const std::vector<hsize_t> dims = {points.first.size()};
    CT_RETURN_IF_ERROR(WriteDataset(g.get(), "step", H5T_STD_I64LE, H5T_NATIVE_INT64, dims, true,
                                    kCurveChunk, points.first.data(), path));
    CT_RETURN_IF_ERROR(WriteDataset(g.get(), "value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims, true,
                                    kCurveChunk, points.second.data(), path));
  }

  Hdf5Handle arrays(H5Gcreate2(group.get(), "arrays", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!arrays.valid()) return Hdf5Error(path, "creating arrays of " + name);
  for (const NamedArray& a : t.result.arrays) {
    std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
    CT_RETURN_IF_ERROR(WriteDataset(arrays.get(), a.name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims,
                                    false, kMaxChunkElements, a.data.data(), path));
  }
  return Status::Ok();
}

// The trials group of a sweep, created with the sweep group (attribute `sweep` = the exact
// name) when missing. Called inside a write session, so a new group is part of the session.
Result<Hdf5Handle> OpenOrCreateSweepGroup(hid_t file, const std::string& group,
                                          const std::string& sweep, const std::string& path) {
  const std::string trials = group + "/trials";
  if (!LinkExists(file, group)) {
    Hdf5Handle g(H5Gcreate2(file, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!g.valid()) return Hdf5Error(path, "creating /" + group);
    CT_RETURN_IF_ERROR(WriteStringAttr(g.get(), "sweep", sweep, path));
    Hdf5Handle t(H5Gcreate2(g.get(), "trials", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!t.valid()) return Hdf5Error(path, "creating /" + trials);
  }
  Hdf5Handle t(H5Gopen2(file, trials.c_str(), H5P_DEFAULT));
  if (!t.valid()) return Hdf5Error(path, "opening /" + trials);
  return t;
}

std::string ParentDir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The HDF5 signature at offset 0 (chromatune writes no user block).
Status CheckSignature(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == EACCES ? PermissionDenied(path + ": no permission to read")
                           : IoError(path + ": cannot open: " + std::strerror(errno));
  }
  unsigned char head[8] = {};
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  ::close(fd);
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (n != 8 || std::memcmp(head, kSignature, 8) != 0) {
    return Corruption(path + ": not an HDF5 file (no HDF5 signature); refusing to modify it");
  }
  return Status::Ok();
}

// Writes an empty artifact file under a temporary name and renames it into place.
Status CreateFile(const std::string& path, hid_t fapl) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  ::unlink(Hdf5JournalPath(tmp).c_str());
  Status s;
  {
    Hdf5Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl));
    if (!file.valid()) return Hdf5Error(path, "creating the artifact file");
    s = WriteStringAttr(file.get(), "format", kFormat, path);
    if (s.ok()) {
      s = WriteNumberAttr<int64_t>(file.get(), "format_version", kFormatVersion, H5T_NATIVE_INT64,
                                   path);
    }
    if (s.ok()) {
      Hdf5Handle sweeps(H5Gcreate2(file.get(), "sweeps", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      if (!sweeps.valid()) s = Hdf5Error(path, "creating /sweeps");
    }
    if (s.ok() && file.Close() < 0) s = Hdf5Error(path, "closing the new artifact file");
  }
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = IoError(path + ": cannot rename the new file into place: " + std::strerror(errno));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    ::unlink(Hdf5JournalPath(tmp).c_str());
    return s;
  }
  int dir = ::open(ParentDir(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

// Opens through the journaling driver (which rolls back an interrupted write on RDWR).
Result<Hdf5Handle> OpenFile(const std::string& path, StoreMode mode) {
  CT_ASSIGN_OR_RETURN(hid_t fapl_id, JournaledFileAccess());
  Hdf5Handle fapl(fapl_id);
  const unsigned flags = mode == StoreMode::kReadWrite ? H5F_ACC_RDWR : H5F_ACC_RDONLY;
  Hdf5Handle file(H5Fopen(path.c_str(), flags, fapl.get()));
  if (!file.valid()) return Hdf5Error(path, "opening the artifact file");
  return file;
}

// Checks the root attributes of an open file, and that the group `group` (when it exists)
// holds `sweep`.
Status CheckFormat(hid_t file, const std::string& path, const std::string& group,
                   const std::string& sweep) {
  if (H5Aexists(file, "format") <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return FailedPrecondition(path +
                              ": an HDF5 file but not a chromatune artifact file (no "
                              "\"format\" attribute); refusing to modify it");
  }
  CT_ASSIGN_OR_RETURN(std::string format, ReadStringAttr(file, "format", path));
  if (format != kFormat) {
    return FailedPrecondition(path + ": format \"" + format + "\" is not " + kFormat);
  }
  CT_ASSIGN_OR_RETURN(int64_t version, ReadIntAttr(file, "format_version", path));
  if (version > kFormatVersion) {
    return FailedPrecondition(path + ": artifact format version " + std::to_string(version) +
                              " is newer than this chromatune reads (" +
                              std::to_string(kFormatVersion) + "); upgrade chromatune");
  }
  if (version < kFormatVersion) {
    return FailedPrecondition(path + ": artifact format version " + std::to_string(version) +
                              " (one file per sweep) is not the layout this chromatune writes (" +
                              std::to_string(kFormatVersion) +
                              ", one file with a group per sweep); read it with h5py or h5dump "
                              "(docs/hdf5-layout.md) and give this store a new artifact file");
  }
  if (!LinkExists(file, group)) return Status::Ok();
  Hdf5Handle g(H5Gopen2(file, group.c_str(), H5P_DEFAULT));
  if (!g.valid()) return Hdf5Error(path, "opening /" + group);
  CT_ASSIGN_OR_RETURN(std::string stored, ReadStringAttr(g.get(), "sweep", path));
  if (stored != sweep) {
    return FailedPrecondition(path + ": group /" + group + " holds the artifacts of sweep \"" +
                              stored + "\", not \"" + sweep + "\"");
  }
  return Status::Ok();
}

}  // namespace

std::string ArtifactStore::DefaultPathFor(const std::string& db_path) {
  const size_t slash = db_path.rfind('/');
  const size_t dot = db_path.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash + 1)) {
    const std::string ext = db_path.substr(dot);
    if (ext == ".sqlite" || ext == ".sqlite3" || ext == ".db") {
      return db_path.substr(0, dot) + ".h5";
    }
  }
  return db_path + ".h5";
}

Result<std::string> ArtifactStore::GroupFor(const std::string& sweep) {
  if (sweep.empty()) return InvalidArgument("an empty sweep name has no artifact group");
  static const char* kSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+";
  if (sweep[0] != '.' && sweep.find_first_not_of(kSafe) == std::string::npos) return sweep;
  // Any other name (sweep names are free text, e.g. with '/' or '<'): unsafe characters and
  // a leading '.' become '_', and a hash of the exact name keeps distinct names apart.
  std::string safe = sweep.substr(0, 64);
  for (char& c : safe) {
    if (std::strchr(kSafe, c) == nullptr || c == '\0') c = '_';
  }
  if (safe[0] == '.') safe[0] = '_';
  return safe + "-" + Sha256Hex(sweep).substr(0, 12);
}

Result<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(const std::string& path,
                                                           const std::string& sweep,
                                                           StoreMode mode) {
  CT_ASSIGN_OR_RETURN(std::string name, GroupFor(sweep));
  const std::string group = "sweeps/" + name;
  std::lock_guard<std::mutex> lock(Hdf5Mutex());
  SilenceHdf5Errors();
  (void)TakeHdf5DriverError();  // forget causes of failures that HDF5 recovered from
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return InvalidArgument(path + ": is a directory");
  if (mode == StoreMode::kReadOnly) {
    if (!exists) return NotFound(path + ": no such artifact file");
  } else {
    if (::access(ParentDir(path).c_str(), W_OK) != 0) {
      return PermissionDenied(path + ": the directory " + ParentDir(path) +
                              " is not writable (the artifact store needs it for its journal)");
    }
    if (exists && ::access(path.c_str(), R_OK | W_OK) != 0) {
      return PermissionDenied(path + ": no permission to read and write the artifact file");
    }
  }
  if (!exists) {
    CT_ASSIGN_OR_RETURN(hid_t fapl_id, JournaledFileAccess());
    Hdf5Handle fapl(fapl_id);
    CT_RETURN_IF_ERROR(CreateFile(path, fapl.get()));
  }
  CT_RETURN_IF_ERROR(CheckSignature(path));
  CT_ASSIGN_OR_RETURN(Hdf5Handle file, OpenFile(path, mode));
  CT_RETURN_IF_ERROR(CheckFormat(file.get(), path, group, sweep));
  if (file.Close() < 0) return Hdf5Error(path, "closing the artifact file");
  return std::unique_ptr<ArtifactStore>(new ArtifactStore(path, sweep, group, mode));
}

Status ArtifactStore::WriteTrials(const std::vector<TrialArtifactsRef>& trials) {
  if (mode_ == StoreMode::kReadOnly) {
    return FailedPrecondition(path_ + ": the artifact store is open read-only");
  }
  std::set<int64_t> ids;
  for (const TrialArtifactsRef& t : trials) {
    CT_RETURN_IF_ERROR(ValidateTrial(t));
    if (!ids.insert(t.trial_id).second) {
      return InvalidArgument("trial " + std::to_string(t.trial_id) + " appears twice in a batch");
    }
  }
  std::lock_guard<std::mutex> lock(Hdf5Mutex());
  (void)TakeHdf5DriverError();
  CT_ASSIGN_OR_RETURN(Hdf5Handle file, OpenFile(path_, StoreMode::kReadWrite));
  Status s;
  {
    auto group = OpenOrCreateSweepGroup(file.get(), group_, sweep_, path_);
    if (!group.ok()) s = group.status();
    for (size_t i = 0; s.ok() && i < trials.size(); ++i) {
      s = WriteOneTrial(group->get(), trials[i], path_);
    }
  }
  if (!s.ok()) {
    // Abandon the session: the driver rolls it back at close instead of committing.
    AbortHdf5Session(path_);
    file.Close();
    H5Eclear2(H5E_DEFAULT);
    Status rolled = RollbackHdf5Journal(path_);
    return rolled.ok() ? s : rolled.WithContext(s.ToString());
  }
  if (file.Close() < 0) {
    // The driver rolled the session back (a write failed during the final flush).
    Status err = Hdf5Error(path_, "writing " + std::to_string(trials.size()) + " trials");
    Status rolled = RollbackHdf5Journal(path_);
    return rolled.ok() ? err : rolled.WithContext(err.ToString());
  }
  return Status::Ok();
}

Status ArtifactStore::WriteTrial(int64_t trial_id, int attempt, const nlohmann::json& item,
                                 const TrialResult& result) {
  return WriteTrials({TrialArtifactsRef{trial_id, attempt, item, result}});
}

Result<std::vector<int64_t>> ArtifactStore::ListTrials() {
  std::lock_guard<std::mutex> lock(Hdf5Mutex());
  CT_ASSIGN_OR_RETURN(Hdf5Handle file, OpenFile(path_, StoreMode::kReadOnly));
  const std::string trials = group_ + "/trials";
  if (!LinkExists(file.get(), trials)) return std::vector<int64_t>{};  // nothing written yet
  Hdf5Handle group(H5Gopen2(file.get(), trials.c_str(), H5P_DEFAULT));
  if (!group.valid()) return Hdf5Error(path_, "opening /" + trials);
  CT_ASSIGN_OR_RETURN(auto names, ListLinks(group.get(), path_));
  std::vector<int64_t> ids;
  for (const std::string& name : names) {
    long long id = 0;
    if (std::sscanf(name.c_str(), "trial-%lld", &id) == 1) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<TrialArtifacts> ArtifactStore::ReadTrial(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(Hdf5Mutex());
  CT_ASSIGN_OR_RETURN(Hdf5Handle file, OpenFile(path_, StoreMode::kReadOnly));
  const std::string name = group_ + "/trials/" + TrialGroupName(trial_id);
  if (!LinkExists(file.get(), name)) {
    return NotFound(path_ + ": no artifacts for trial " + std::to_string(trial_id) +
                    " of sweep \"" + sweep_ + "\"");
  }
  Hdf5Handle group(H5Gopen2(file.get(), name.c_str(), H5P_DEFAULT));
  if (!group.valid()) return Hdf5Error(path_, "opening " + name);
  TrialArtifacts out;
  out.trial_id = trial_id;
  CT_ASSIGN_OR_RETURN(int64_t attempt, ReadIntAttr(group.get(), "attempt", path_));
  out.attempt = static_cast<int>(attempt);
  CT_ASSIGN_OR_RETURN(std::string item, ReadStringAttr(group.get(), "item", path_));
  out.item = nlohmann::json::parse(item, nullptr, false);
  if (out.item.is_discarded()) return Corruption(path_ + ": " + name + ": item is not JSON");

  Hdf5Handle curves(H5Gopen2(group.get(), "curves", H5P_DEFAULT));
  if (!curves.valid()) return Hdf5Error(path_, "opening " + name + "/curves");
  CT_ASSIGN_OR_RETURN(auto curve_names, ListLinks(curves.get(), path_));
  for (const std::string& curve : curve_names) {
    Hdf5Handle g(H5Gopen2(curves.get(), curve.c_str(), H5P_DEFAULT));
    if (!g.valid()) return Hdf5Error(path_, "opening curve " + curve);
    CT_ASSIGN_OR_RETURN(auto steps, ReadDataset(g.get(), "step", H5T_NATIVE_INT64, path_));
    CT_ASSIGN_OR_RETURN(auto values, ReadDataset(g.get(), "value", H5T_NATIVE_DOUBLE, path_));
    if (steps.shape != values.shape || steps.shape.size() != 1) {
      return Corruption(path_ + ": " + name + ": curve " + curve + " step/value mismatch");
    }
    for (int64_t i = 0; i < steps.shape[0]; ++i) {
      CurvePoint p;
      p.name = curve;
      std::memcpy(&p.step, steps.bytes.data() + i * 8, 8);
      std::memcpy(&p.value, values.bytes.data() + i * 8, 8);
      out.curves.push_back(std::move(p));
    }
  }

  Hdf5Handle arrays(H5Gopen2(group.get(), "arrays", H5P_DEFAULT));
  if (!arrays.valid()) return Hdf5Error(path_, "opening " + name + "/arrays");
  CT_ASSIGN_OR_RETURN(auto array_names, ListLinks(arrays.get(), path_));
  for (const std::string& array : array_names) {
    CT_ASSIGN_OR_RETURN(auto content, ReadDataset(arrays.get(), array, H5T_NATIVE_FLOAT, path_));
    NamedArray a;
    a.name = array;
    a.shape = content.shape;
    a.data.resize(content.bytes.size() / sizeof(float));
    // memcpy from/to a null pointer is undefined even for 0 bytes (empty arrays).
    if (!content.bytes.empty()) {
      std::memcpy(a.data.data(), content.bytes.data(), content.bytes.size());
    }
    out.arrays.push_back(std::move(a));
  }
  return out;
}

}  // namespace chromatune
