#include "bench/gpu/tiny_clip_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "experiments/ddp/gradient_reducer.h"
#include "experiments/models/pretrain_spec.h"
#include "experiments/models/tiny_clip.h"
#include "experiments/models/tokenizer.h"

namespace chromatune::bench {
namespace {

namespace F = torch::nn::functional;
using models::Tokenizer;

constexpr double kPi = 3.14159265358979323846;
// As tiny_clip_reference.py: captions drawn from this many distinct texts, batches cycled.
constexpr int64_t kDistinctCaptions = 64;
constexpr int64_t kBatches = 4;
// [EOS] positions are drawn from [kMinEos, kMaxEos).
constexpr int64_t kMinEos = 4;
constexpr int64_t kMaxEos = 12;

struct Batch {
  torch::Tensor images;   // [B, 3, S, S] float in 0..1
  torch::Tensor ids;      // [B, T] int64
  torch::Tensor eos;      // [B] int64, position of [EOS]
  torch::Tensor caption;  // [B] int64, which distinct caption (equal ids = positives)
};

// ScheduledLr of experiments/models/pretrain.cc (that file is not linkable here).
double LearningRate(const models::PretrainSpec& spec, int64_t step) {
  if (step < spec.warmup_steps) {
    return spec.lr * (step + 1) / static_cast<double>(spec.warmup_steps);
  }
  const double span = std::max<int64_t>(1, spec.steps - spec.warmup_steps);
  const double progress = std::min(1.0, (step - spec.warmup_steps) / span);
  return spec.lr * 0.5 * (1.0 + std::cos(kPi * progress));
}

// Made on the CPU in the order tiny_clip_reference.py draws them, then moved to `device`.
std::vector<Batch> MakeBatches(const models::PretrainSpec& spec, int64_t vocab_size,
                               const torch::Device& device) {
  const int64_t b = spec.batch_size, t = spec.context_length;
  const torch::Tensor texts =
      torch::randint(Tokenizer::kUnk + 1, vocab_size, {kDistinctCaptions, t}, torch::kInt64);
  std::vector<Batch> batches;
  for (int64_t k = 0; k < kBatches; ++k) {
    Batch batch;
    batch.images = torch::rand({b, 3, spec.image_size, spec.image_size});
    batch.caption = torch::randint(0, kDistinctCaptions, {b}, torch::kInt64);
    batch.ids = texts.index_select(0, batch.caption);
    batch.eos = torch::randint(kMinEos, kMaxEos, {b}, torch::kInt64);
    auto ids = batch.ids.accessor<int64_t, 2>();
    auto eos = batch.eos.accessor<int64_t, 1>();
    for (int64_t i = 0; i < b; ++i) {
      ids[i][0] = Tokenizer::kSos;
      ids[i][eos[i]] = Tokenizer::kEos;
      for (int64_t p = eos[i] + 1; p < t; ++p) ids[i][p] = Tokenizer::kPad;
    }
    batch.images = batch.images.to(device);
    batch.ids = batch.ids.to(device);
    batch.eos = batch.eos.to(device);
    batch.caption = batch.caption.to(device);
    batches.push_back(std::move(batch));
  }
  return batches;
}

// ClipLoss of experiments/models/pretrain.cc on pre-tokenised input; the soft targets come
// from the caption ids on the device (pretrain.cc compares the caption strings on the CPU).
torch::Tensor ClipLoss(models::TinyClipNet& net, const Batch& batch) {
  auto img = F::normalize(net->EncodeImage(batch.images, models::VisualPrompt{}),
                          F::NormalizeFuncOptions().dim(1));
  auto txt = F::normalize(net->EncodeTextFromEmbeddings(net->TokenEmbedding(batch.ids), batch.eos),
                          F::NormalizeFuncOptions().dim(1));
  auto logits = net->logit_scale_log.exp().clamp_max(100.0) * torch::matmul(img, txt.t());
  auto same = batch.caption.unsqueeze(1).eq(batch.caption.unsqueeze(0)).to(torch::kFloat32);
  auto targets = same / same.sum(1, true);
  auto loss_i = -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
  auto loss_t = -(targets * torch::log_softmax(logits.t(), 1)).sum(1).mean();
  return 0.5 * (loss_i + loss_t);
}

}  // namespace

Result<TinyClipBenchResult> TimeTinyClipPretraining(const TinyClipBenchOptions& options,
                                                    const torch::Device& device,
                                                    Communicator* comm) {
  const models::PretrainSpec spec{};  // == DefaultPretrainSpec("tiny-clip")
  if (options.vocab_size <= Tokenizer::kUnk + 1) {
    return InvalidArgument("tiny-clip bench: vocab_size must exceed the " +
                           std::to_string(Tokenizer::kUnk + 1) + " special tokens");
  }
  if (options.warmup < 0 || options.steps <= 0) {
    return InvalidArgument("tiny-clip bench: warmup must be >= 0 and steps > 0");
  }
  if (spec.context_length <= kMaxEos) {
    return InvalidArgument("tiny-clip bench: context_length must exceed " +
                           std::to_string(kMaxEos));
  }
  torch::manual_seed(options.seed);
  models::TinyClipNet net(spec, options.vocab_size);
  net->to(device);
  net->train();
  const std::vector<Batch> batches = MakeBatches(spec, options.vocab_size, device);

  std::vector<torch::Tensor> params = net->parameters();
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : params) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(spec.lr).weight_decay(spec.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(spec.lr).weight_decay(0.0)));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(spec.lr));

  std::unique_ptr<ddp::GradientReducer> reducer;
  if (comm != nullptr) {
    CT_ASSIGN_OR_RETURN(reducer, ddp::GradientReducer::Create(params, comm));
  }

  auto step = [&](int64_t index) -> Result<double> {
    const double lr = LearningRate(spec, index);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    torch::Tensor loss = ClipLoss(net, batches[static_cast<size_t>(index % kBatches)]);
    optimizer.zero_grad();
    loss.backward();
    if (reducer) CT_RETURN_IF_ERROR(reducer->Finish());
    optimizer.step();
    const double value = loss.item<double>();  // waits for the step's kernels
    if (!std::isfinite(value)) {
      return Internal("tiny-clip bench: loss " + std::to_string(value) + " at step " +
                      std::to_string(index));
    }
    return value;
  };

  for (int64_t i = 0; i < options.warmup; ++i) CT_RETURN_IF_ERROR(step(i).status());
  TinyClipBenchResult out;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < options.steps; ++i) {
    CT_ASSIGN_OR_RETURN(const double loss, step(options.warmup + i));
    if (i == 0) out.first_loss = loss;
    out.final_loss = loss;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  out.step_ms = ms / static_cast<double>(options.steps);
  for (const auto& p : params) out.parameters += p.numel();
  out.context_length = spec.context_length;
  out.batch_size = spec.batch_size;
  out.image_size = spec.image_size;
  if (reducer) {
    out.buckets = reducer->last_step().buckets;
    out.launched_in_backward = reducer->last_step().launched_in_backward;
  }
  return out;
}

}  // namespace chromatune::bench
