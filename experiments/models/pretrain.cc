#include "experiments/models/pretrain.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>

#include "datasets/compositor.h"
#include "datasets/fashion_mnist.h"
#include "datasets/rng.h"
#include "experiments/models/image_tensor.h"
#include "experiments/models/tiny_clip.h"
#include "experiments/models/tiny_fusion.h"

namespace chromatune::models {
namespace {

namespace F = torch::nn::functional;

constexpr double kPi = 3.14159265358979323846;

// Probability that a masked-LM example masks its block colour word (CPT's "[MASK] color").
constexpr double kMaskColourProbability = 0.5;
// Per-word masking probability otherwise (BERT's 15%; at least one word is masked).
constexpr double kMaskWordProbability = 0.15;

// The compositor's item sizes are for 56 px canvases; other canvas sizes scale them.
datasets::CompositorOptions CorpusOptions(const PretrainSpec& spec, const std::string& dir) {
  datasets::CompositorOptions o;
  o.canvas_size = static_cast<int>(spec.image_size);
  if (spec.image_size != 56) {
    o.min_item_size =
        std::max(4, static_cast<int>(std::lround(o.min_item_size * spec.image_size / 56.0)));
    o.max_item_size = std::max(
        o.min_item_size, static_cast<int>(std::lround(o.max_item_size * spec.image_size / 56.0)));
  }
  o.max_items = static_cast<int>(spec.max_items);
  o.hard_negative_fraction = static_cast<float>(spec.hard_negative_fraction);
  o.single_item_fraction = static_cast<float>(spec.single_item_fraction);
  o.fashion_dir = dir;
  return o;
}

// The global batch's rows of `local` (this rank's rows [begin, end) of `total`): the other
// ranks' rows arrive through one AllReduceSum of a zero-padded copy (every backend has it;
// device memory where the backend takes it) and are constants; this rank's rows keep their
// gradient. One rank: `local` itself.
Result<torch::Tensor> GatherRows(const torch::Tensor& local, int64_t begin, int64_t total,
                                 Communicator* comm) {
  if (comm->size() == 1) return local;
  const bool on_device = local.is_cuda() && comm->backend() == "nccl";
  auto buffer = torch::zeros({total, local.size(1)},
                             torch::TensorOptions()
                                 .dtype(torch::kFloat32)
                                 .device(on_device ? local.device() : torch::Device(torch::kCPU)));
  buffer.narrow(0, begin, local.size(0)).copy_(local.detach());
  CT_RETURN_IF_ERROR(
      comm->AllReduceSum(buffer.data_ptr<float>(), static_cast<size_t>(buffer.numel())));
  buffer = buffer.to(local.device(), local.scalar_type());
  const int64_t end = begin + local.size(0);
  return torch::cat({buffer.narrow(0, 0, begin), local, buffer.narrow(0, end, total - end)}, 0);
}

// What a rank back-propagates and what the step's loss is. Gradients are averaged over ranks
// (AverageGradients), so each rank back-propagates size x its share of the global loss: the
// average of those gradients is the gradient of the global loss, as on one rank.
struct RankLoss {
  torch::Tensor backward;  // size x this rank's share
  torch::Tensor global;    // the loss of the whole batch (detached where gathered)
};

// Symmetric InfoNCE with soft targets (identical captions are positives of each other) over
// the GLOBAL batch, as CLIP trains across devices: features are gathered from every rank, so
// the negatives are the same with 1 or R ranks. Gradients reach this rank's encoders through
// its own rows only; the logit scale's through rank 0 alone (every rank computes all logits,
// so counting it on each would multiply its gradient by R).
Result<RankLoss> ClipLoss(VisionLanguageModel& model, const torch::Tensor& images,
                          const std::vector<std::string>& captions, int begin, int end,
                          Communicator* comm) {
  const int64_t n = static_cast<int64_t>(captions.size());
  std::vector<std::string> local(captions.begin() + begin, captions.begin() + end);
  auto enc = model.tokenizer().Encode(local, model.context_length());
  auto img = F::normalize(model.EncodeImage(images), F::NormalizeFuncOptions().dim(1));
  auto txt =
      F::normalize(model.EncodeText(enc.ids, enc.eos_index), F::NormalizeFuncOptions().dim(1));
  CT_ASSIGN_OR_RETURN(img, GatherRows(img, begin, n, comm));
  CT_ASSIGN_OR_RETURN(txt, GatherRows(txt, begin, n, comm));
  torch::Tensor scale = model.LogitScale();
  if (comm->rank() != 0) scale = scale.detach();
  auto logits = scale * torch::matmul(img, txt.t());
  auto same = torch::zeros({n, n}, torch::kFloat32);
  auto acc = same.accessor<float, 2>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) acc[i][j] = captions[i] == captions[j] ? 1.0f : 0.0f;
  }
  auto targets = (same / same.sum(1, true)).to(logits.device());
  auto loss_i = -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
  auto loss_t = -(targets * torch::log_softmax(logits.t(), 1)).sum(1).mean();
  RankLoss out;
  out.global = 0.5 * (loss_i + loss_t);
  out.backward = comm->size() == 1 ? out.global : out.global * comm->size();
  return out;
}

// MLM + ITM (see pretrain.h). The texts, masks and match labels of the whole batch are drawn
// on every rank, example i from its own stream (seed, step, i), so they do not depend on the
// rank count; the network runs on this rank's rows [begin, end) only. Both terms are means
// over the global batch (masked tokens, examples): this rank's share is its sum over the
// global count.
Result<RankLoss> FusionLoss(TinyFusion& model, const torch::Tensor& images,
                            const datasets::CaptionBatch& batch, int begin, int end, uint64_t seed,
                            int64_t step, Communicator* comm) {
  const Tokenizer& tok = model.tokenizer();
  const int64_t n = static_cast<int64_t>(batch.examples.size());
  const int64_t t = model.context_length();
  std::vector<std::string> texts(n);
  std::vector<float> match(n, 1.0f);
  std::vector<datasets::Rng> rngs;
  rngs.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    rngs.emplace_back(
        datasets::MixSeed(seed, static_cast<uint64_t>(step), static_cast<uint64_t>(i)));
  }
  for (int64_t i = 0; i < n; ++i) {
    const auto& ex = batch.examples[i];
    datasets::Rng& rng = rngs[static_cast<size_t>(i)];
    texts[i] = ex.caption;
    if (n > 1 && rng.Bernoulli(0.5)) {
      int64_t j = ex.partner;  // the hard negative, else another example of the batch
      if (j < 0 || j >= n) {
        j = rng.UniformInt(0, n - 2);
        if (j >= i) ++j;
      }
      if (batch.examples[j].caption != ex.caption) {
        texts[i] = batch.examples[j].caption;
        match[i] = 0.0f;
      }
    }
  }
  auto enc = tok.Encode(texts, t);
  auto labels = torch::full({n, t}, int64_t{-100}, torch::kInt64);
  auto ids = enc.ids.accessor<int64_t, 2>();
  auto lab = labels.accessor<int64_t, 2>();
  auto eos = enc.eos_index.accessor<int64_t, 1>();
  int64_t masked = 0;  // over the global batch
  for (int64_t i = 0; i < n; ++i) {
    const auto& ex = batch.examples[i];
    datasets::Rng& rng = rngs[static_cast<size_t>(i)];
    std::vector<int64_t> chosen;
    const int64_t colour = ex.block_colour.empty() ? -1 : tok.Id(ex.block_colour);
    if (colour >= 0 && match[i] > 0 && rng.Bernoulli(kMaskColourProbability)) {
      for (int64_t p = 1; p < eos[i]; ++p) {
        if (ids[i][p] == colour) chosen.push_back(p);
      }
    }
    if (chosen.empty()) {
      for (int64_t p = 1; p < eos[i]; ++p) {
        if (rng.Bernoulli(kMaskWordProbability)) chosen.push_back(p);
      }
      if (chosen.empty() && eos[i] > 1) chosen.push_back(rng.UniformInt(1, eos[i] - 1));
    }
    for (int64_t p : chosen) {
      // Only matching pairs teach the MLM; mismatched ones are masked alike so that [MASK]
      // tokens do not give the match away.
      if (match[i] > 0) {
        lab[i][p] = ids[i][p];
        ++masked;
      }
      ids[i][p] = Tokenizer::kMask;
    }
  }
  const int64_t rows = end - begin;
  auto dev = model.device();
  auto ids_d = enc.ids.narrow(0, begin, rows).to(dev);
  auto& net = model.net();
  auto hidden = net->Hidden(images.to(dev), net->TokenEmbedding(ids_d), ids_d);
  auto positions = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(dev))
                       .unsqueeze(0)
                       .expand({rows, t});
  auto logits = net->MlmLogits(hidden, positions);
  auto mlm = F::cross_entropy(
      logits.reshape({rows * t, -1}), labels.narrow(0, begin, rows).to(dev).reshape({rows * t}),
      F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  auto itm = F::binary_cross_entropy_with_logits(
      net->ItmLogit(hidden),
      torch::tensor(std::vector<float>(match.begin() + begin, match.begin() + end)).to(dev),
      F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum));
  auto share =
      mlm / static_cast<double>(std::max<int64_t>(1, masked)) + itm / static_cast<double>(n);
  RankLoss out;
  out.global = share.detach();
  if (comm->size() > 1) {  // the global loss, for the record: the shares' sum
    float value = share.item<float>();
    CT_RETURN_IF_ERROR(comm->AllReduceSum(&value, 1));
    out.global = torch::tensor(value);
  }
  out.backward = comm->size() == 1 ? share : share * comm->size();
  return out;
}

// Even-aligned slice of a global batch for `rank` of `size` (hard-negative pairs stay whole).
std::pair<int, int> RankSlice(int64_t batch, int rank, int size) {
  auto edge = [&](int r) { return static_cast<int>((batch * r / size) & ~int64_t{1}); };
  return {edge(rank), rank + 1 == size ? static_cast<int>(batch) : edge(rank + 1)};
}

}  // namespace

double ScheduledLr(const PretrainSpec& spec, int64_t step) {
  if (step < spec.warmup_steps)
    return spec.lr * (step + 1) / static_cast<double>(spec.warmup_steps);
  const double span = std::max<int64_t>(1, spec.steps - spec.warmup_steps);
  const double progress = std::min(1.0, (step - spec.warmup_steps) / span);
  return spec.lr * 0.5 * (1.0 + std::cos(kPi * progress));
}

Status AverageGradients(const std::vector<torch::Tensor>& params, Communicator* comm) {
  if (comm == nullptr || comm->size() <= 1) return Status::Ok();
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    grads.push_back(p.grad().defined() ? p.grad().reshape({-1})
                                       : torch::zeros({p.numel()}, p.options()));
  }
  auto flat = torch::cat(grads).contiguous();
  const bool staged = flat.is_cuda() && comm->backend() != "nccl";
  if (staged) flat = flat.cpu();
  CT_RETURN_IF_ERROR(comm->AllReduceSum(flat.data_ptr<float>(), static_cast<size_t>(flat.numel())));
  flat.div_(comm->size());
  if (staged) flat = flat.to(params.front().device());
  int64_t offset = 0;
  for (const auto& p : params) {
    auto slice = flat.narrow(0, offset, p.numel()).view(p.sizes());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(slice);
    } else {
      p.mutable_grad() = slice.clone();
    }
    offset += p.numel();
  }
  return Status::Ok();
}

Result<PretrainedModel> BuildModel(const PretrainSpec& spec) {
  CT_RETURN_IF_ERROR(spec.Validate());
  // Initialisation draws from torch's one global generator: two builds at once in a process
  // (ranks as threads, a worker's threads) would interleave their draws and start from other
  // weights than spec.seed gives. One build at a time keeps every model seeded as if alone.
  static std::mutex building;
  std::lock_guard<std::mutex> lock(building);
  torch::manual_seed(static_cast<uint64_t>(spec.seed));
  PretrainedModel out;
  if (spec.kind == "tiny-clip") {
    out.dual = std::make_shared<TinyClip>(spec, Tokenizer::Builtin());
  } else {
    out.fusion = std::make_shared<TinyFusion>(spec, Tokenizer::Builtin());
  }
  return out;
}

Result<PretrainedModel> Pretrain(const PretrainSpec& spec, const PretrainOptions& options) {
  torch::set_num_threads(spec.threads);
  CT_ASSIGN_OR_RETURN(PretrainedModel out, BuildModel(spec));
  std::optional<torch::Device> device;
  try {
    device.emplace(options.device);
  } catch (const std::exception& e) {
    return InvalidArgument("pretraining device \"" + options.device + "\": " + e.what());
  }
  const bool on_cpu = device->is_cpu();
  if (!on_cpu) {
    // Before the optimiser is made: it must hold the parameters that live on the device.
    try {
      if (out.dual) out.dual->To(*device);
      if (out.fusion) out.fusion->To(*device);
    } catch (const std::exception& e) {
      return InvalidArgument("pretraining device \"" + options.device + "\": " + e.what());
    }
  }
  LocalCommunicator local;
  Communicator* comm = options.comm != nullptr ? options.comm : &local;
  const int rank = comm->rank(), size = comm->size();
  if (spec.batch_size < 2 * size) {
    return InvalidArgument("batch_size " + std::to_string(spec.batch_size) + " is too small for " +
                           std::to_string(size) + " ranks");
  }
  const datasets::CompositorOptions corpus = CorpusOptions(spec, options.fashion_dir);
  CT_RETURN_IF_ERROR(datasets::ValidateCompositorOptions(corpus));
  CT_ASSIGN_OR_RETURN(
      auto train, datasets::LoadFashionMnist(datasets::FashionSplit::kTrain, options.fashion_dir));
  const auto [begin, end] = RankSlice(spec.batch_size, rank, size);

  std::vector<torch::Tensor> params = out.dual ? out.dual->parameters() : out.fusion->parameters();
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : params) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(spec.lr).weight_decay(spec.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(spec.lr).weight_decay(0.0)));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(spec.lr));
  if (out.dual) out.dual->SetTraining(true);
  if (out.fusion) out.fusion->SetTraining(true);

  const int64_t report_every = std::max<int64_t>(1, spec.steps / 50);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < spec.steps; ++step) {
    if (options.cancelled && options.cancelled()) return Cancelled("pretraining cancelled");
    const double lr = ScheduledLr(spec, step);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    // The whole batch on every rank (~3 ms for 128 examples): the losses need every caption;
    // only this rank's images [begin, end) go through the network.
    datasets::CaptionBatch batch =
        datasets::ComposeCaptionBatch(*train, static_cast<uint64_t>(spec.data_seed), step,
                                      static_cast<int>(spec.batch_size), corpus);
    std::vector<const datasets::Image*> images;
    std::vector<std::string> captions;
    for (int i = 0; i < static_cast<int>(batch.examples.size()); ++i) {
      if (i >= begin && i < end) images.push_back(&batch.examples[i].image);
      captions.push_back(batch.examples[i].caption);
    }
    const torch::Tensor pixels =
        on_cpu ? ImagesToTensor(images) : ImagesToTensor(images).to(*device);
    Result<RankLoss> loss =
        out.dual ? ClipLoss(*out.dual, pixels, captions, begin, end, comm)
                 : FusionLoss(static_cast<TinyFusion&>(*out.fusion), pixels, batch, begin, end,
                              static_cast<uint64_t>(spec.seed), step, comm);
    if (!loss.ok()) return loss.status();
    optimizer.zero_grad();
    loss->backward.backward();
    if (size > 1) {
      CT_RETURN_IF_ERROR(options.sync_gradients ? options.sync_gradients(params)
                                                : AverageGradients(params, comm));
    }
    optimizer.step();
    const double value = loss->global.item<double>();
    if (!std::isfinite(value)) {
      return Internal("pretraining diverged at step " + std::to_string(step) + " (loss " +
                      std::to_string(value) + "); lower lr");
    }
    out.stats.losses.push_back(value);
    if (rank == 0 && options.progress &&
        ((step + 1) % report_every == 0 || step + 1 == spec.steps)) {
      char note[96];
      std::snprintf(note, sizeof(note), "step %lld/%lld loss %.4f",
                    static_cast<long long>(step + 1), static_cast<long long>(spec.steps), value);
      options.progress(static_cast<double>(step + 1) / spec.steps, note);
    }
  }
  out.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.stats.steps_per_second = spec.steps / std::max(out.stats.seconds, 1e-9);
  if (out.dual) out.dual->SetTraining(false);
  if (out.fusion) out.fusion->SetTraining(false);
  if (!on_cpu) {  // checkpoints and callers get CPU tensors (see PretrainOptions::device)
    if (out.dual) out.dual->To(torch::kCPU);
    if (out.fusion) out.fusion->To(torch::kCPU);
  }
  return out;
}

}  // namespace chromatune::models
