#include "experiments/models/clip_checkpoint.h"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>
#include <nlohmann/json.hpp>

#include "common/regular_file.h"
#include "experiments/models/clip/pickle_reader.h"

namespace chromatune::models {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

Result<std::string> ReadAll(const std::string& path) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, "CLIP checkpoint"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read CLIP checkpoint " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return IoError("error while reading CLIP checkpoint " + path);
  return bytes.str();
}

torch::Tensor AsFloat(const torch::Tensor& t) {
  return t.detach().to(torch::kCPU, torch::kFloat32).contiguous().clone();
}

using clip::PickleRef;
using clip::PickleValue;
using Kind = PickleValue::Kind;

// torch.save's typed storage classes ("torch.FloatStorage") and their element types.
Result<torch::ScalarType> StorageType(const std::string& name) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"torch.FloatStorage", torch::kFloat32},     {"torch.HalfStorage", torch::kFloat16},
      {"torch.BFloat16Storage", torch::kBFloat16}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.LongStorage", torch::kInt64},        {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},       {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},        {"torch.BoolStorage", torch::kBool}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return Corruption("storage type " + name + " is not supported");
  return it->second;
}

Result<std::vector<int64_t>> IntTuple(const PickleRef& v, const char* what) {
  if (!v->is(Kind::kTuple)) return Corruption(std::string(what) + " is not a tuple");
  std::vector<int64_t> out;
  for (const auto& item : v->items) {
    if (!item->is(Kind::kInt)) return Corruption(std::string(what) + " holds a non-integer");
    out.push_back(item->integer);
  }
  return out;
}

// Rebuilds the tensors of a torch.save pickle: _rebuild_tensor_v2(storage, offset, size,
// stride, ...) over storages read from the archive's data/<key> records (each read once).
class TensorRebuilder {
 public:
  explicit TensorRebuilder(caffe2::serialize::PyTorchStreamReader* zip) : zip_(zip) {}

  // The tensor `v` stands for, or an undefined tensor when it is not one.
  Result<torch::Tensor> Tensor(const PickleRef& v) {
    if (!v->is(Kind::kObject)) return torch::Tensor();
    if (v->text == "torch._utils._rebuild_parameter" && !v->items.empty()) {
      return Tensor(v->items[0]);  // nn.Parameter(data, requires_grad, hooks)
    }
    if (v->text != "torch._utils._rebuild_tensor_v2") return torch::Tensor();
    if (v->items.size() < 4) return Corruption("_rebuild_tensor_v2 with too few arguments");
    CT_ASSIGN_OR_RETURN(torch::Tensor storage, Storage(v->items[0]));
    if (!v->items[1]->is(Kind::kInt)) return Corruption("a tensor offset that is not an int");
    const int64_t offset = v->items[1]->integer;
    CT_ASSIGN_OR_RETURN(std::vector<int64_t> size, IntTuple(v->items[2], "a tensor size"));
    CT_ASSIGN_OR_RETURN(std::vector<int64_t> stride, IntTuple(v->items[3], "a tensor stride"));
    if (size.size() != stride.size()) return Corruption("a tensor whose size and stride differ");
    // The last element the view reaches must lie inside the storage.
    int64_t last = offset;
    bool empty = false;
    for (size_t i = 0; i < size.size(); ++i) {
      if (size[i] < 0 || stride[i] < 0) return Corruption("a negative tensor size or stride");
      if (size[i] == 0) empty = true;
      if (size[i] > 0 && stride[i] > 0 && (size[i] - 1) > (INT64_MAX / 4 - last) / stride[i]) {
        return Corruption("a tensor view past any storage");
      }
      last += (size[i] - 1) * stride[i];
    }
    if (offset < 0 || (!empty && last >= storage.numel())) {
      return Corruption("a tensor view past the end of its storage");
    }
    return storage.as_strided(size, stride, offset);
  }

 private:
  // ('storage', <storage class>, key, location, numel) -> a 1-D tensor of that type.
  Result<torch::Tensor> Storage(const PickleRef& v) {
    if (!v->is(Kind::kPersistent) || v->items.empty() || !v->items[0]->is(Kind::kTuple)) {
      return Corruption("a tensor whose storage is not a persistent reference");
    }
    const auto& id = v->items[0]->items;
    if (id.size() < 5 || !id[1]->is(Kind::kGlobal) || !id[2]->is(Kind::kString) ||
        !id[4]->is(Kind::kInt)) {
      return Corruption("a malformed storage reference");
    }
    const std::string key = id[2]->text;
    auto it = storages_.find(key);
    if (it != storages_.end()) return it->second;
    CT_ASSIGN_OR_RETURN(torch::ScalarType type, StorageType(id[1]->text));
    const std::string record = "data/" + key;
    if (!zip_->hasRecord(record)) return Corruption("the archive has no record " + record);
    auto [data, bytes] = zip_->getRecord(record);
    const int64_t numel = id[4]->integer;
    const auto elem = static_cast<int64_t>(c10::elementSize(type));
    if (numel < 0 || static_cast<uint64_t>(numel) * elem != bytes) {
      return Corruption("storage " + key + " holds " + std::to_string(bytes) + " bytes, not " +
                        std::to_string(numel) + " elements");
    }
    torch::Tensor t = torch::empty({numel}, torch::TensorOptions().dtype(type));
    if (bytes > 0) std::memcpy(t.data_ptr(), data.get(), bytes);
    storages_[key] = t;
    return t;
  }

  caffe2::serialize::PyTorchStreamReader* zip_;
  std::map<std::string, torch::Tensor> storages_;
};

// Every tensor of a state dict: a dict (or OrderedDict) of names to tensors, possibly inside
// a "state_dict" entry (open_clip's training checkpoints); "module." prefixes (DataParallel)
// are stripped; other entries (OpenAI's int sizes, epochs, optimizer state) are skipped.
Status CollectTensors(const PickleRef& value, TensorRebuilder* rebuild, StateDict* out, int depth) {
  if (depth > 4) return Corruption("a state dict nested deeper than 4 levels");
  const PickleValue* dict = value.get();
  // A state dict is an OrderedDict: reduced from collections.OrderedDict, then filled by
  // SETITEMS (ReadPickle keeps those entries on the object).
  const bool ordered = dict->is(Kind::kObject) && dict->text == "collections.OrderedDict";
  if (!dict->is(Kind::kDict) && !ordered) {
    return Corruption("the file's top level is not a dict of tensors");
  }
  for (const auto& [key, v] : dict->entries) {
    if (!key->is(Kind::kString)) continue;
    if (key->text == "state_dict" && (v->is(Kind::kDict) || v->is(Kind::kObject))) {
      out->clear();
      return CollectTensors(v, rebuild, out, depth + 1);
    }
    auto t = rebuild->Tensor(v);
    if (!t.ok()) return t.status().WithContext("tensor \"" + key->text + "\"");
    if (!t->defined()) continue;
    std::string name = key->text;
    while (StartsWith(name, "module.")) name = name.substr(7);
    (*out)[name] = AsFloat(*t);
  }
  return Status::Ok();
}

Result<StateDict> ReadJitArchive(const std::string& path) {
  torch::jit::Module module = torch::jit::load(path, torch::kCPU);
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.name] = AsFloat(p.value);
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.name] = AsFloat(b.value);
  if (out.empty()) return Corruption(path + ": a TorchScript archive without parameters");
  return out;
}

Result<StateDict> ReadPickledStateDict(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader zip(path);
  if (!zip.hasRecord("data.pkl")) return Corruption(path + ": a zip file without data.pkl");
  auto [data, size] = zip.getRecord("data.pkl");
  CT_ASSIGN_OR_RETURN(PickleRef root,
                      clip::ReadPickle(std::string_view(static_cast<const char*>(data.get()), size),
                                       path + ": data.pkl"));
  TensorRebuilder rebuild(&zip);
  StateDict out;
  CT_RETURN_IF_ERROR(CollectTensors(root, &rebuild, &out, 0).WithContext(path));
  if (out.empty()) return Corruption(path + ": a torch.save file without tensors");
  return out;
}

// True when the zip archive holds TorchScript code (a jit archive has "<name>/code/"
// entries). Looks only at the tail, where the zip's central directory lists every entry
// name, so tensor bytes cannot be mistaken for a name.
bool ZipHasCode(const std::string& bytes) {
  constexpr size_t kTail = size_t{4} << 20;
  const size_t from = bytes.size() > kTail ? bytes.size() - kTail : 0;
  return bytes.find("/code/", from) != std::string::npos;
}

}  // namespace

Result<StateDict> ParseSafetensors(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < 8) return Corruption(origin + ": too short for a safetensors header");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) {
    header_len = (header_len << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  }
  if (header_len > bytes.size() - 8 || header_len > (uint64_t{100} << 20)) {
    return Corruption(origin + ": safetensors header length " + std::to_string(header_len) +
                      " exceeds the file");
  }
  nlohmann::json header = nlohmann::json::parse(
      bytes.begin() + 8, bytes.begin() + 8 + static_cast<ptrdiff_t>(header_len), nullptr,
      /*allow_exceptions=*/false);
  if (!header.is_object()) return Corruption(origin + ": safetensors header is not a JSON object");
  const size_t data_begin = 8 + static_cast<size_t>(header_len);
  const size_t data_size = bytes.size() - data_begin;
  StateDict out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = origin + ": tensor \"" + name + "\"";
    if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() ||
        !info.contains("shape") || !info["shape"].is_array() || !info.contains("data_offsets") ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2) {
      return Corruption(where + ": needs dtype, shape and data_offsets");
    }
    const std::string dtype = info["dtype"].get<std::string>();
    torch::ScalarType type;
    size_t elem = 0;
    if (dtype == "F32") {
      type = torch::kFloat32, elem = 4;
    } else if (dtype == "F16") {
      type = torch::kFloat16, elem = 2;
    } else if (dtype == "BF16") {
      type = torch::kBFloat16, elem = 2;
    } else if (dtype == "I64") {
      type = torch::kInt64, elem = 8;
    } else {
      return Corruption(where + ": dtype " + dtype + " is not one of F32, F16, BF16, I64");
    }
    std::vector<int64_t> shape;
    uint64_t count = 1;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40)) {
        return Corruption(where + ": bad shape " + info["shape"].dump());
      }
      shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
      count *= d.get<uint64_t>();
      if (count > (uint64_t{1} << 40)) return Corruption(where + ": shape too large");
    }
    const auto& off = info["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return Corruption(where + ": data_offsets must be two unsigned integers");
    }
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size || end - begin != count * elem) {
      return Corruption(where + ": data_offsets [" + std::to_string(begin) + ", " +
                        std::to_string(end) + ") do not hold " + std::to_string(count) + " " +
                        dtype + " values within the " + std::to_string(data_size) + " data bytes");
    }
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
    if (count > 0) std::memcpy(t.data_ptr(), bytes.data() + data_begin + begin, end - begin);
    out[name] = type == torch::kInt64 ? t : AsFloat(t);
  }
  if (out.empty()) return Corruption(origin + ": a safetensors file without tensors");
  return out;
}

Result<ClipCheckpoint> ReadClipCheckpoint(const std::string& path) {
  CT_ASSIGN_OR_RETURN(std::string bytes, ReadAll(path));
  ClipCheckpoint ckpt;
  const bool zip = bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0;
  try {
    if (zip && ZipHasCode(bytes)) {
      ckpt.format = "openai-jit";
      CT_ASSIGN_OR_RETURN(ckpt.tensors, ReadJitArchive(path));
    } else if (zip) {
      ckpt.format = "state-dict";
      CT_ASSIGN_OR_RETURN(ckpt.tensors, ReadPickledStateDict(path));
    } else if (bytes.size() >= 9 && bytes[8] == '{') {
      ckpt.format = "safetensors";
      CT_ASSIGN_OR_RETURN(ckpt.tensors, ParseSafetensors(bytes, path));
    } else {
      return Corruption(path +
                        ": not a CLIP checkpoint (expected a TorchScript archive, a torch.save "
                        "zip file or .safetensors; legacy non-zip torch.save files must be "
                        "re-saved with a current torch)");
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (what.size() > 300) what = what.substr(0, 300) + "...";
    return Corruption(path + ": cannot read the " + ckpt.format + " checkpoint: " + what);
  }
  return ckpt;
}

}  // namespace chromatune::models
