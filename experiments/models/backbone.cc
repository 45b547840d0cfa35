#include "experiments/models/backbone.h"

#include <filesystem>

#include "common/file_lock.h"
#include "common/log.h"
#include "experiments/models/checkpoint.h"
#include "experiments/models/clip_model.h"
#include "experiments/models/pretrain.h"
#include "experiments/models/pretrain_on_device.h"
#include "experiments/models/torchscript_model.h"
#include "experiments/sweep/backbone_ref.h"

namespace chromatune::models {
namespace {

namespace fs = std::filesystem;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// "k=v&k=v": values that parse as JSON numbers become numbers, "a,b,c" a list of them.
Result<nlohmann::json> ParseOverrides(const std::string& name, const std::string& query) {
  nlohmann::json j = nlohmann::json::object();
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("backbone \"" + name + "\": override \"" + pair +
                             "\" is not key=value");
    }
    const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (j.contains(key)) {
      return InvalidArgument("backbone \"" + name + "\": override \"" + key + "\" given twice");
    }
    auto parse_scalar = [](const std::string& v) {
      nlohmann::json parsed = nlohmann::json::parse(v, nullptr, /*allow_exceptions=*/false);
      return parsed.is_number() ? parsed : nlohmann::json(v);
    };
    if (value.find(',') != std::string::npos) {
      nlohmann::json list = nlohmann::json::array();
      size_t p = 0;
      while (p <= value.size()) {
        size_t comma = value.find(',', p);
        if (comma == std::string::npos) comma = value.size();
        list.push_back(parse_scalar(value.substr(p, comma - p)));
        p = comma + 1;
      }
      j[key] = list;
    } else {
      j[key] = parse_scalar(value);
    }
    pos = amp + 1;
  }
  return j;
}

}  // namespace

std::vector<torch::Tensor> ParameterGroups::ImageTower() const {
  std::vector<torch::Tensor> out;
  for (const auto& block : image_blocks) out.insert(out.end(), block.begin(), block.end());
  return out;
}

std::vector<torch::Tensor> ParameterGroups::TextTower() const {
  std::vector<torch::Tensor> out;
  for (const auto& block : text_blocks) out.insert(out.end(), block.begin(), block.end());
  return out;
}

torch::Tensor VisionLanguageModel::EncodeText(const torch::Tensor& ids,
                                              const torch::Tensor& eos_index) {
  return EncodeTextFromEmbeddings(TokenEmbedding(ids), eos_index);
}

torch::Tensor VisionLanguageModel::EncodeTexts(const std::vector<std::string>& texts) {
  auto enc = tokenizer().Encode(texts, context_length());
  return EncodeText(enc.ids, enc.eos_index);
}

torch::Tensor FusionModel::MaskLogits(const torch::Tensor& images, const torch::Tensor& ids,
                                      const torch::Tensor& mask_index) {
  return MaskLogitsFromEmbeddings(images, TokenEmbedding(ids), ids, mask_index);
}

Result<PretrainSpec> SpecForBackboneName(const std::string& name) {
  if (StartsWith(name, "spec:")) return LoadPretrainSpecFile(name.substr(5));
  if (!StartsWith(name, "builtin:")) {
    return InvalidArgument("backbone \"" + name +
                           "\" is not builtin:tiny-clip, builtin:tiny-fusion, spec:PATH or "
                           "torchscript:PATH");
  }
  const std::string rest = name.substr(8);
  const size_t q = rest.find('?');
  const std::string kind = rest.substr(0, q);
  auto base = DefaultPretrainSpec(kind);
  if (!base.ok()) return InvalidArgument("backbone \"" + name + "\": " + base.status().message());
  if (q == std::string::npos) return base;
  CT_ASSIGN_OR_RETURN(nlohmann::json overrides, ParseOverrides(name, rest.substr(q + 1)));
  if (overrides.contains("kind")) {
    return InvalidArgument("backbone \"" + name + "\": the kind is set by the name, not by ?kind=");
  }
  return PretrainSpecFromJson(overrides, *base, "backbone \"" + name + "\"");
}

Result<std::shared_ptr<Backbone>> LoadOrPretrainSpec(const PretrainSpec& spec,
                                                     const std::string& cache_dir,
                                                     Communicator* comm,
                                                     const ProgressFn& progress) {
  return LoadOrPretrainSpecOn(spec, cache_dir, comm, progress, "cpu");
}

Result<std::shared_ptr<Backbone>> LoadOrPretrainSpecOn(const PretrainSpec& spec,
                                                       const std::string& cache_dir,
                                                       Communicator* comm,
                                                       const ProgressFn& progress,
                                                       const std::string& device) {
  CT_RETURN_IF_ERROR(spec.Validate());
  LocalCommunicator local;
  if (comm == nullptr) comm = &local;
  const std::string dir = CheckpointDir(cache_dir, spec);
  auto backbone = std::make_shared<Backbone>();
  backbone->name = "builtin:" + spec.kind;
  backbone->spec = spec.CanonicalJson();
  backbone->checkpoint_path = dir;
  // Rank 0 looks into the cache under the lock, so a checkpoint another process is making
  // is waited for, not made twice. Without a lock (a filesystem that refuses flock) the
  // work may be duplicated, which the atomic save keeps harmless.
  std::optional<FileLock> lock;
  if (comm->rank() == 0) {
    std::error_code ec;
    fs::create_directories(cache_dir, ec);
    auto acquired = FileLock::Acquire(dir + ".lock", [&] {
      if (progress) {
        progress(0.0, "waiting for another process pretraining this backbone (" + dir + ")");
      }
    });
    if (acquired.ok()) {
      lock.emplace(std::move(*acquired));
    } else {
      spdlog::warn("checkpoint cache: {}; pretraining without the lock",
                   acquired.status().message());
    }
  }
  // Every rank decides from rank 0's view of the cache, so all ranks take the same branch.
  uint8_t cached = fs::exists(fs::path(dir) / "spec.json") ? 1 : 0;
  CT_RETURN_IF_ERROR(comm->Broadcast(&cached, 1, 0));
  PretrainedModel model;
  if (cached != 0) {
    CT_ASSIGN_OR_RETURN(model, LoadCheckpoint(dir));
  } else {
    // Pretraining runs with the spec's threads; the caller's count (a worker's share of the
    // cores) is restored afterwards so the trial that triggered it runs like every other.
    const int caller_threads = torch::get_num_threads();
    PretrainOptions options;
    options.comm = comm;
    options.progress = progress;
    options.device = device;
    CT_ASSIGN_OR_RETURN(model, Pretrain(spec, options));
    Status saved = Status::Ok();
    if (comm->rank() == 0) {
      nlohmann::json training = {
          {"seconds", model.stats.seconds},
          {"steps_per_second", model.stats.steps_per_second},
          {"ranks", comm->size()},
          {"threads", spec.threads},
          {"device", device},
          {"final_loss", model.stats.losses.empty() ? 0.0 : model.stats.losses.back()}};
      saved = SaveCheckpoint(dir, spec, model, training);
    }
    // Ranks keep their own (identical) trained weights; the barrier only orders the save
    // before any rank returns, so a caller that reads the cache next finds it complete.
    torch::set_num_threads(caller_threads);
    backbone->pretrained_here = true;
    CT_RETURN_IF_ERROR(comm->Barrier());
    CT_RETURN_IF_ERROR(saved);
  }
  backbone->dual = model.dual;
  backbone->fusion = model.fusion;
  return backbone;
}

Result<std::shared_ptr<Backbone>> LoadOrPretrain(const std::string& name,
                                                 const std::string& cache_dir, Communicator* comm,
                                                 const ProgressFn& progress) {
  return LoadOrPretrainOn(name, cache_dir, comm, progress, "cpu");
}

Result<std::shared_ptr<Backbone>> LoadOrPretrainOn(const std::string& name,
                                                   const std::string& cache_dir, Communicator* comm,
                                                   const ProgressFn& progress,
                                                   const std::string& device) {
  if (StartsWith(name, "torchscript:")) {
    const std::string path = name.substr(12);
    if (path.empty()) return InvalidArgument("backbone \"" + name + "\": empty path");
    CT_ASSIGN_OR_RETURN(auto model, TorchScriptModel::Load(path));
    auto backbone = std::make_shared<Backbone>();
    backbone->name = name;
    backbone->dual = std::move(model);
    backbone->checkpoint_path = path;
    backbone->spec = nlohmann::json::object();
    return backbone;
  }
  if (StartsWith(name, "clip:")) {
    CT_ASSIGN_OR_RETURN(ClipBackboneRef ref, ParseClipBackbone(name));
    ClipModel::Options options;
    options.vocab_path = ref.vocab;
    options.quick_gelu = ref.quick_gelu;
    CT_ASSIGN_OR_RETURN(auto model, ClipModel::Load(ref.checkpoint, options));
    auto backbone = std::make_shared<Backbone>();
    backbone->name = name;
    backbone->dual = std::move(model);
    backbone->checkpoint_path = ref.checkpoint;
    backbone->spec = nlohmann::json::object();
    return backbone;
  }
  CT_ASSIGN_OR_RETURN(PretrainSpec spec, SpecForBackboneName(name));
  CT_ASSIGN_OR_RETURN(auto backbone, LoadOrPretrainSpecOn(spec, cache_dir, comm, progress, device));
  backbone->name = name;
  return backbone;
}

}  // namespace chromatune::models
