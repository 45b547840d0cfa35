#include "experiments/models/clip_model.h"

#include <cmath>
#include <set>
#include <sstream>

#include "experiments/models/clip_tokenizer.h"

namespace chromatune::models {
namespace {

namespace F = torch::nn::functional;

// CLIP's pixel statistics (the reference preprocessing's Normalize).
constexpr double kMean[3] = {0.48145466, 0.4578275, 0.40821073};
constexpr double kStd[3] = {0.26862954, 0.26130258, 0.27577711};
constexpr double kLayerNormEps = 1e-5;
constexpr double kBatchNormEps = 1e-5;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string ShapeText(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

// The distinct integer indices N of names "<prefix>N.<rest>".
std::set<int64_t> Indices(const StateDict& w, const std::string& prefix) {
  std::set<int64_t> out;
  for (const auto& [name, t] : w) {
    if (!StartsWith(name, prefix)) continue;
    const std::string rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    const std::string digits = rest.substr(0, dot);
    if (!digits.empty() && digits.size() < 6 &&
        digits.find_first_not_of("0123456789") == std::string::npos) {
      out.insert(std::stoll(digits));
    }
  }
  return out;
}

// Checks `name` is present with `shape`; errors name the tensor and both shapes.
class ShapeChecker {
 public:
  explicit ShapeChecker(const StateDict& w) : w_(w) {}
  Status Need(const std::string& name, std::vector<int64_t> shape) const {
    auto it = w_.find(name);
    if (it == w_.end()) {
      return InvalidArgument("CLIP checkpoint: tensor \"" + name + "\" is missing (expected " +
                             ShapeText(shape) + ")");
    }
    if (it->second.sizes() != at::IntArrayRef(shape)) {
      return InvalidArgument("CLIP checkpoint: tensor \"" + name + "\" has shape " +
                             ShapeText(it->second.sizes()) + ", expected " + ShapeText(shape));
    }
    return Status::Ok();
  }
  Status Block(const std::string& p, int64_t width) const {
    CT_RETURN_IF_ERROR(Need(p + "ln_1.weight", {width}));
    CT_RETURN_IF_ERROR(Need(p + "ln_1.bias", {width}));
    CT_RETURN_IF_ERROR(Need(p + "attn.in_proj_weight", {3 * width, width}));
    CT_RETURN_IF_ERROR(Need(p + "attn.in_proj_bias", {3 * width}));
    CT_RETURN_IF_ERROR(Need(p + "attn.out_proj.weight", {width, width}));
    CT_RETURN_IF_ERROR(Need(p + "attn.out_proj.bias", {width}));
    CT_RETURN_IF_ERROR(Need(p + "ln_2.weight", {width}));
    CT_RETURN_IF_ERROR(Need(p + "ln_2.bias", {width}));
    CT_RETURN_IF_ERROR(Need(p + "mlp.c_fc.weight", {4 * width, width}));
    CT_RETURN_IF_ERROR(Need(p + "mlp.c_fc.bias", {4 * width}));
    CT_RETURN_IF_ERROR(Need(p + "mlp.c_proj.weight", {width, 4 * width}));
    return Need(p + "mlp.c_proj.bias", {width});
  }
  Status BatchNorm(const std::string& p, int64_t c) const {
    for (const char* part : {"weight", "bias", "running_mean", "running_var"}) {
      CT_RETURN_IF_ERROR(Need(p + part, {c}));
    }
    return Status::Ok();
  }
  Status Linear(const std::string& p, int64_t out, int64_t in) const {
    CT_RETURN_IF_ERROR(Need(p + "weight", {out, in}));
    return Need(p + "bias", {out});
  }

 private:
  const StateDict& w_;
};

Result<int64_t> ExactSqrt(int64_t n, const std::string& what) {
  const auto r = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  if (r * r != n) {
    return InvalidArgument("CLIP checkpoint: " + what + " has " + std::to_string(n) +
                           " positions, not a square grid");
  }
  return r;
}

Status CheckContiguousIndices(const std::set<int64_t>& idx, const std::string& prefix) {
  int64_t expect = 0;
  for (int64_t i : idx) {
    if (i != expect) {
      return InvalidArgument("CLIP checkpoint: block \"" + prefix + std::to_string(expect) +
                             "\" is missing");
    }
    ++expect;
  }
  return Status::Ok();
}

Status CheckText(const StateDict& w, ClipArchitecture* a) {
  ShapeChecker c(w);
  for (const char* name :
       {"token_embedding.weight", "positional_embedding", "ln_final.weight", "text_projection"}) {
    if (!w.count(name)) {
      return InvalidArgument(std::string("CLIP checkpoint: tensor \"") + name +
                             "\" is missing (not a CLIP state dict?)");
    }
  }
  const torch::Tensor& tok = w.at("token_embedding.weight");
  const torch::Tensor& proj = w.at("text_projection");
  if (tok.dim() != 2 || proj.dim() != 2) {
    return InvalidArgument(
        "CLIP checkpoint: token_embedding.weight and text_projection must be "
        "matrices");
  }
  a->text_width = w.at("ln_final.weight").size(0);
  a->vocab_size = tok.size(0);
  a->context_length = w.at("positional_embedding").size(0);
  a->embed_dim = proj.size(1);
  if (a->text_width % 64 != 0) {
    return InvalidArgument("CLIP checkpoint: text width " + std::to_string(a->text_width) +
                           " is not a multiple of 64 (heads are width / 64)");
  }
  a->text_heads = a->text_width / 64;
  const auto blocks = Indices(w, "transformer.resblocks.");
  CT_RETURN_IF_ERROR(CheckContiguousIndices(blocks, "transformer.resblocks."));
  a->text_layers = static_cast<int64_t>(blocks.size());
  if (a->text_layers == 0) return InvalidArgument("CLIP checkpoint: no text transformer blocks");
  const int64_t tw = a->text_width;
  CT_RETURN_IF_ERROR(c.Need("token_embedding.weight", {a->vocab_size, tw}));
  CT_RETURN_IF_ERROR(c.Need("positional_embedding", {a->context_length, tw}));
  CT_RETURN_IF_ERROR(c.Need("ln_final.bias", {tw}));
  CT_RETURN_IF_ERROR(c.Need("text_projection", {tw, a->embed_dim}));
  CT_RETURN_IF_ERROR(c.Need("logit_scale", {}));
  for (int64_t i = 0; i < a->text_layers; ++i) {
    CT_RETURN_IF_ERROR(c.Block("transformer.resblocks." + std::to_string(i) + ".", tw));
  }
  return Status::Ok();
}

Status CheckVit(const StateDict& w, ClipArchitecture* a) {
  ShapeChecker c(w);
  if (!w.count("visual.conv1.weight") || !w.count("visual.positional_embedding")) {
    return InvalidArgument(
        "CLIP checkpoint: tensor \"visual.conv1.weight\" or "
        "\"visual.positional_embedding\" is missing");
  }
  const torch::Tensor& conv = w.at("visual.conv1.weight");
  if (conv.dim() != 4 || conv.size(1) != 3 || conv.size(2) != conv.size(3)) {
    return InvalidArgument("CLIP checkpoint: tensor \"visual.conv1.weight\" has shape " +
                           ShapeText(conv.sizes()) + ", expected [width, 3, patch, patch]");
  }
  a->vision_width = conv.size(0);
  a->patch_size = conv.size(2);
  const torch::Tensor& pos = w.at("visual.positional_embedding");
  CT_ASSIGN_OR_RETURN(int64_t grid,
                      ExactSqrt(pos.size(0) - 1, "visual.positional_embedding (minus the class)"));
  a->image_resolution = grid * a->patch_size;
  if (a->vision_width % 64 != 0) {
    return InvalidArgument("CLIP checkpoint: vision width " + std::to_string(a->vision_width) +
                           " is not a multiple of 64 (heads are width / 64)");
  }
  a->vision_heads = a->vision_width / 64;
  const auto blocks = Indices(w, "visual.transformer.resblocks.");
  CT_RETURN_IF_ERROR(CheckContiguousIndices(blocks, "visual.transformer.resblocks."));
  a->vision_layers = static_cast<int64_t>(blocks.size());
  if (a->vision_layers == 0)
    return InvalidArgument("CLIP checkpoint: no vision transformer blocks");
  const int64_t vw = a->vision_width;
  CT_RETURN_IF_ERROR(c.Need("visual.class_embedding", {vw}));
  CT_RETURN_IF_ERROR(c.Need("visual.positional_embedding", {grid * grid + 1, vw}));
  for (const char* ln : {"visual.ln_pre.weight", "visual.ln_pre.bias", "visual.ln_post.weight",
                         "visual.ln_post.bias"}) {
    CT_RETURN_IF_ERROR(c.Need(ln, {vw}));
  }
  CT_RETURN_IF_ERROR(c.Need("visual.proj", {vw, a->embed_dim}));
  for (int64_t i = 0; i < a->vision_layers; ++i) {
    CT_RETURN_IF_ERROR(c.Block("visual.transformer.resblocks." + std::to_string(i) + ".", vw));
  }
  return Status::Ok();
}

Status CheckResNet(const StateDict& w, ClipArchitecture* a) {
  ShapeChecker c(w);
  if (!w.count("visual.layer1.0.conv1.weight") ||
      !w.count("visual.attnpool.positional_embedding")) {
    return InvalidArgument(
        "CLIP checkpoint: neither \"visual.proj\" (ViT) nor "
        "\"visual.layer1.0.conv1.weight\" and "
        "\"visual.attnpool.positional_embedding\" (ResNet) are present");
  }
  const int64_t width = w.at("visual.layer1.0.conv1.weight").size(0);
  a->vision_width = width;
  for (int s = 0; s < 4; ++s) {
    const std::string prefix = "visual.layer" + std::to_string(s + 1) + ".";
    const auto blocks = Indices(w, prefix);
    CT_RETURN_IF_ERROR(CheckContiguousIndices(blocks, prefix));
    a->stage_blocks[static_cast<size_t>(s)] = static_cast<int64_t>(blocks.size());
    if (blocks.empty()) return InvalidArgument("CLIP checkpoint: no blocks in " + prefix);
  }
  const torch::Tensor& pos = w.at("visual.attnpool.positional_embedding");
  CT_ASSIGN_OR_RETURN(
      int64_t grid, ExactSqrt(pos.size(0) - 1, "visual.attnpool.positional_embedding (minus one)"));
  a->image_resolution = grid * 32;
  const int64_t out_channels = width * 32;  // the last stage's planes * 4
  a->vision_heads = width * 32 / 64;
  // Stem.
  CT_RETURN_IF_ERROR(c.Need("visual.conv1.weight", {width / 2, 3, 3, 3}));
  CT_RETURN_IF_ERROR(c.BatchNorm("visual.bn1.", width / 2));
  CT_RETURN_IF_ERROR(c.Need("visual.conv2.weight", {width / 2, width / 2, 3, 3}));
  CT_RETURN_IF_ERROR(c.BatchNorm("visual.bn2.", width / 2));
  CT_RETURN_IF_ERROR(c.Need("visual.conv3.weight", {width, width / 2, 3, 3}));
  CT_RETURN_IF_ERROR(c.BatchNorm("visual.bn3.", width));
  // Stages.
  int64_t inplanes = width;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = width << s;
    for (int64_t b = 0; b < a->stage_blocks[static_cast<size_t>(s)]; ++b) {
      const std::string p = "visual.layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      CT_RETURN_IF_ERROR(c.Need(p + "conv1.weight", {planes, inplanes, 1, 1}));
      CT_RETURN_IF_ERROR(c.BatchNorm(p + "bn1.", planes));
      CT_RETURN_IF_ERROR(c.Need(p + "conv2.weight", {planes, planes, 3, 3}));
      CT_RETURN_IF_ERROR(c.BatchNorm(p + "bn2.", planes));
      CT_RETURN_IF_ERROR(c.Need(p + "conv3.weight", {planes * 4, planes, 1, 1}));
      CT_RETURN_IF_ERROR(c.BatchNorm(p + "bn3.", planes * 4));
      const bool downsample = b == 0 && (s > 0 || inplanes != planes * 4);
      if (downsample) {
        CT_RETURN_IF_ERROR(c.Need(p + "downsample.0.weight", {planes * 4, inplanes, 1, 1}));
        CT_RETURN_IF_ERROR(c.BatchNorm(p + "downsample.1.", planes * 4));
      }
      inplanes = planes * 4;
    }
  }
  CT_RETURN_IF_ERROR(
      c.Need("visual.attnpool.positional_embedding", {grid * grid + 1, out_channels}));
  CT_RETURN_IF_ERROR(c.Linear("visual.attnpool.q_proj.", out_channels, out_channels));
  CT_RETURN_IF_ERROR(c.Linear("visual.attnpool.k_proj.", out_channels, out_channels));
  CT_RETURN_IF_ERROR(c.Linear("visual.attnpool.v_proj.", out_channels, out_channels));
  return c.Linear("visual.attnpool.c_proj.", a->embed_dim, out_channels);
}

bool IsBatchNormStatistic(const std::string& name) {
  return name.size() > 13 && (name.find(".running_mean") != std::string::npos ||
                              name.find(".running_var") != std::string::npos ||
                              name.find(".num_batches_tracked") != std::string::npos);
}

}  // namespace

std::string ClipArchitecture::Describe() const {
  std::ostringstream out;
  if (vit) {
    out << "ViT (width " << vision_width << ", " << vision_layers << " layers, " << vision_heads
        << " heads, patch " << patch_size << ")";
  } else {
    out << "modified ResNet (width " << vision_width << ", blocks " << stage_blocks[0] << "-"
        << stage_blocks[1] << "-" << stage_blocks[2] << "-" << stage_blocks[3]
        << ", attention pool " << vision_heads << " heads)";
  }
  out << ", " << image_resolution << " px; text transformer (width " << text_width << ", "
      << text_layers << " layers, " << text_heads << " heads, context " << context_length
      << ", vocabulary " << vocab_size << "); embedding " << embed_dim << "; "
      << (quick_gelu ? "QuickGELU" : "GELU");
  return out.str();
}

Result<ClipArchitecture> InferClipArchitecture(const StateDict& weights) {
  ClipArchitecture a;
  CT_RETURN_IF_ERROR(CheckText(weights, &a));
  a.vit = weights.count("visual.proj") > 0;
  if (a.vit) {
    CT_RETURN_IF_ERROR(CheckVit(weights, &a));
  } else {
    CT_RETURN_IF_ERROR(CheckResNet(weights, &a));
  }
  return a;
}

Result<std::shared_ptr<ClipModel>> ClipModel::Load(const std::string& checkpoint_path,
                                                   const Options& options) {
  CT_ASSIGN_OR_RETURN(auto tok, ClipTokenizer::Load(options.vocab_path));
  CT_ASSIGN_OR_RETURN(ClipCheckpoint ckpt, ReadClipCheckpoint(checkpoint_path));
  auto model = FromWeights(std::move(ckpt.tensors), std::move(tok), options.quick_gelu,
                           "clip:" + checkpoint_path);
  if (!model.ok()) return model.status().WithContext(checkpoint_path);
  return model;
}

Result<std::shared_ptr<ClipModel>> ClipModel::FromWeights(StateDict weights,
                                                          std::shared_ptr<const ClipTokenizer> tok,
                                                          bool quick_gelu, std::string name) {
  CT_ASSIGN_OR_RETURN(ClipArchitecture arch, InferClipArchitecture(weights));
  arch.quick_gelu = quick_gelu;
  if (tok && tok->vocab_size() != arch.vocab_size) {
    return InvalidArgument("the BPE vocabulary has " + std::to_string(tok->vocab_size()) +
                           " tokens but token_embedding.weight has " +
                           std::to_string(arch.vocab_size) + " rows");
  }
  std::shared_ptr<ClipModel> m(new ClipModel());
  m->name_ = std::move(name);
  m->arch_ = arch;
  m->tokenizer_ = std::move(tok);
  // Keep what the architecture uses; gradients on parameters, never on BN statistics.
  for (auto& [key, t] : weights) {
    if (key == "input_resolution" || key == "context_length" || key == "vocab_size") continue;
    const bool used = StartsWith(key, "visual.") || StartsWith(key, "transformer.") ||
                      key == "token_embedding.weight" || key == "positional_embedding" ||
                      StartsWith(key, "ln_final.") || key == "text_projection" ||
                      key == "logit_scale";
    if (!used) continue;
    torch::Tensor v = t.to(torch::kFloat32).contiguous();
    if (!IsBatchNormStatistic(key)) v.requires_grad_(true);
    m->weights_.emplace(key, std::move(v));
  }
  const int64_t ctx = arch.context_length;
  m->text_mask_ = torch::full({ctx, ctx}, -std::numeric_limits<float>::infinity()).triu(1);
  return m;
}

const TextTokenizer& ClipModel::tokenizer() const { return *tokenizer_; }

const torch::Tensor& ClipModel::W(const std::string& name) const {
  auto it = weights_.find(name);
  TORCH_CHECK(it != weights_.end(), "ClipModel: no tensor ", name);
  return it->second;
}

torch::Tensor ClipModel::Attention(const torch::Tensor& x, const std::string& p, int64_t heads,
                                   const torch::Tensor& mask) const {
  // x [B, T, W] -> [B, T, W]; nn.MultiheadAttention's computation with packed in-projection.
  // The 1/sqrt(hd) scale rides on the q.k^T product (baddbmm's alpha) instead of a pass of
  // its own over q; heads are folded into the batch so the products are plain bmm calls.
  const int64_t b = x.size(0), t = x.size(1), w = x.size(2), hd = w / heads;
  auto qkv = torch::linear(x, W(p + "in_proj_weight"), W(p + "in_proj_bias"));
  auto parts = qkv.view({b, t, 3, heads, hd}).permute({2, 0, 3, 1, 4});  // [3, B, H, T, hd]
  auto q = parts[0].reshape({b * heads, t, hd});
  auto k = parts[1].reshape({b * heads, t, hd});
  auto v = parts[2].reshape({b * heads, t, hd});
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  torch::Tensor scores;  // [B*H, T, T]
  if (mask.defined()) {
    scores = torch::baddbmm(mask.expand({b * heads, t, t}), q, k.transpose(1, 2), 1.0, scale);
  } else {
    scores = torch::bmm(q, k.transpose(1, 2));
    scores = torch::GradMode::is_enabled() ? scores * scale : scores.mul_(scale);
  }
  auto out = torch::bmm(scores.softmax(-1), v);  // [B*H, T, hd]
  out = out.view({b, heads, t, hd}).permute({0, 2, 1, 3}).reshape({b, t, w});
  return torch::linear(out, W(p + "out_proj.weight"), W(p + "out_proj.bias"));
}

torch::Tensor ClipModel::Block(const torch::Tensor& x, const std::string& p,
                               const torch::Tensor& mask) const {
  const int64_t width = x.size(-1);
  const int64_t heads = width / 64;
  // Without autograd the residual sums and the activation run in place on tensors this block
  // made: the same arithmetic, without allocating three more [B, T, 4W] buffers per block
  // (with autograd, sigmoid's output is saved for its backward and must not be overwritten).
  const bool in_place = !torch::GradMode::is_enabled();
  auto h = torch::layer_norm(x, {width}, W(p + "ln_1.weight"), W(p + "ln_1.bias"), kLayerNormEps);
  auto y = Attention(h, p + "attn.", heads, mask);
  y = in_place ? y.add_(x) : y + x;
  h = torch::layer_norm(y, {width}, W(p + "ln_2.weight"), W(p + "ln_2.bias"), kLayerNormEps);
  h = torch::linear(h, W(p + "mlp.c_fc.weight"), W(p + "mlp.c_fc.bias"));
  if (!arch_.quick_gelu) {
    h = torch::gelu(h);
  } else if (in_place) {
    h.mul_(torch::sigmoid(h * 1.702));
  } else {
    h = h * torch::sigmoid(1.702 * h);
  }
  auto out = torch::linear(h, W(p + "mlp.c_proj.weight"), W(p + "mlp.c_proj.bias"));
  return in_place ? out.add_(y) : out + y;
}

torch::Tensor ClipModel::EncodeVit(const torch::Tensor& images, const VisualPrompt& prompt) const {
  const int64_t width = arch_.vision_width;
  auto x = torch::conv2d(images, W("visual.conv1.weight"), {}, arch_.patch_size);  // [B,W,g,g]
  const int64_t b = x.size(0);
  x = x.flatten(2).transpose(1, 2);  // [B, g*g, W]
  auto cls = W("visual.class_embedding").view({1, 1, width}).expand({b, 1, width});
  x = torch::cat({cls, x}, 1) + W("visual.positional_embedding");
  TORCH_CHECK(!(prompt.deep.defined() && prompt.shallow.defined()),
              "VisualPrompt: both shallow and deep set");
  const torch::Tensor first = prompt.deep.defined() ? prompt.deep[0] : prompt.shallow;
  int64_t prompt_len = 0;
  if (first.defined()) {
    TORCH_CHECK(first.dim() == 2 && first.size(1) == width, "VisualPrompt must be [L, ", width,
                "] per layer");
    if (prompt.deep.defined()) {
      TORCH_CHECK(prompt.deep.size(0) == arch_.vision_layers, "VisualPrompt.deep must be [",
                  arch_.vision_layers, ", L, ", width, "]");
    }
    prompt_len = first.size(0);
    auto p = first.unsqueeze(0).expand({b, prompt_len, width}).to(x.dtype());
    x = torch::cat({x.narrow(1, 0, 1), p, x.narrow(1, 1, x.size(1) - 1)}, 1);
  }
  x = torch::layer_norm(x, {width}, W("visual.ln_pre.weight"), W("visual.ln_pre.bias"),
                        kLayerNormEps);
  for (int64_t i = 0; i < arch_.vision_layers; ++i) {
    if (prompt.deep.defined() && i > 0) {
      auto p = prompt.deep[i].unsqueeze(0).expand({b, prompt_len, width}).to(x.dtype());
      x = torch::cat(
          {x.narrow(1, 0, 1), p, x.narrow(1, 1 + prompt_len, x.size(1) - 1 - prompt_len)}, 1);
    }
    x = Block(x, "visual.transformer.resblocks." + std::to_string(i) + ".", {});
  }
  auto pooled = torch::layer_norm(x.select(1, 0), {width}, W("visual.ln_post.weight"),
                                  W("visual.ln_post.bias"), kLayerNormEps);
  return torch::matmul(pooled, W("visual.proj"));
}

torch::Tensor ClipModel::BatchNorm(const torch::Tensor& x, const std::string& p) const {
  return torch::batch_norm(x, W(p + "weight"), W(p + "bias"), W(p + "running_mean"),
                           W(p + "running_var"), /*training=*/false, 0.0, kBatchNormEps,
                           /*cudnn_enabled=*/true);
}

torch::Tensor ClipModel::Bottleneck(const torch::Tensor& x, const std::string& p,
                                    int64_t stride) const {
  auto out = torch::relu(BatchNorm(torch::conv2d(x, W(p + "conv1.weight")), p + "bn1."));
  out = torch::relu(
      BatchNorm(torch::conv2d(out, W(p + "conv2.weight"), {}, 1, /*padding=*/1), p + "bn2."));
  if (stride > 1) out = torch::avg_pool2d(out, stride);
  out = BatchNorm(torch::conv2d(out, W(p + "conv3.weight")), p + "bn3.");
  torch::Tensor identity = x;
  if (weights_.count(p + "downsample.0.weight")) {
    identity = stride > 1 ? torch::avg_pool2d(x, stride) : x;
    identity =
        BatchNorm(torch::conv2d(identity, W(p + "downsample.0.weight")), p + "downsample.1.");
  }
  return torch::relu(out + identity);
}

torch::Tensor ClipModel::AttentionPool(const torch::Tensor& x) const {
  // x [B, C, H, W] -> tokens [B, 1 + HW, C] with the mean first; the mean token attends.
  const int64_t b = x.size(0), c = x.size(1);
  auto tokens = x.flatten(2).transpose(1, 2);  // [B, HW, C]
  tokens = torch::cat({tokens.mean(1, /*keepdim=*/true), tokens}, 1) +
           W("visual.attnpool.positional_embedding");
  const int64_t heads = arch_.vision_heads, hd = c / heads, t = tokens.size(1);
  const std::string p = "visual.attnpool.";
  auto q = torch::linear(tokens.narrow(1, 0, 1), W(p + "q_proj.weight"), W(p + "q_proj.bias"));
  auto k = torch::linear(tokens, W(p + "k_proj.weight"), W(p + "k_proj.bias"));
  auto v = torch::linear(tokens, W(p + "v_proj.weight"), W(p + "v_proj.bias"));
  q = q.view({b, 1, heads, hd}).transpose(1, 2) * (1.0 / std::sqrt(static_cast<double>(hd)));
  k = k.view({b, t, heads, hd}).transpose(1, 2);
  v = v.view({b, t, heads, hd}).transpose(1, 2);
  auto out = torch::matmul(torch::matmul(q, k.transpose(-2, -1)).softmax(-1), v);  // [B,H,1,hd]
  out = out.transpose(1, 2).reshape({b, c});
  return torch::linear(out, W(p + "c_proj.weight"), W(p + "c_proj.bias"));
}

torch::Tensor ClipModel::EncodeResNet(const torch::Tensor& images) const {
  auto x = torch::relu(
      BatchNorm(torch::conv2d(images, W("visual.conv1.weight"), {}, 2, 1), "visual.bn1."));
  x = torch::relu(BatchNorm(torch::conv2d(x, W("visual.conv2.weight"), {}, 1, 1), "visual.bn2."));
  x = torch::relu(BatchNorm(torch::conv2d(x, W("visual.conv3.weight"), {}, 1, 1), "visual.bn3."));
  x = torch::avg_pool2d(x, 2);
  for (int s = 0; s < 4; ++s) {
    for (int64_t i = 0; i < arch_.stage_blocks[static_cast<size_t>(s)]; ++i) {
      const int64_t stride = (s > 0 && i == 0) ? 2 : 1;
      x = Bottleneck(x, "visual.layer" + std::to_string(s + 1) + "." + std::to_string(i) + ".",
                     stride);
    }
  }
  return AttentionPool(x);
}

torch::Tensor ClipModel::EncodeImage(const torch::Tensor& images, const VisualPrompt& prompt) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 &&
                  images.size(2) == arch_.image_resolution &&
                  images.size(3) == arch_.image_resolution,
              "ClipModel::EncodeImage: images must be [B, 3, ", arch_.image_resolution, ", ",
              arch_.image_resolution, "], got ", images.sizes());
  TORCH_CHECK(prompt.empty() || arch_.vit, "visual prompts need a ViT image tower");
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  const auto mean = torch::tensor({kMean[0], kMean[1], kMean[2]}, opts).view({1, 3, 1, 1});
  const auto stdev = torch::tensor({kStd[0], kStd[1], kStd[2]}, opts).view({1, 3, 1, 1});
  const auto x = (images.to(device_, torch::kFloat32) - mean) / stdev;
  return arch_.vit ? EncodeVit(x, prompt) : EncodeResNet(x);
}

torch::Tensor ClipModel::TokenEmbedding(const torch::Tensor& ids) {
  return torch::embedding(W("token_embedding.weight"), ids.to(device_, torch::kInt64));
}

torch::Tensor ClipModel::EncodeTextFromEmbeddings(const torch::Tensor& embeds,
                                                  const torch::Tensor& eos_index) {
  TORCH_CHECK(embeds.dim() == 3 && embeds.size(1) <= arch_.context_length &&
                  embeds.size(2) == arch_.text_width,
              "EncodeTextFromEmbeddings: embeds must be [B, T<=", arch_.context_length, ", ",
              arch_.text_width, "]");
  const int64_t t = embeds.size(1);
  auto x = embeds.to(device_) + W("positional_embedding").narrow(0, 0, t);
  const auto mask = text_mask_.narrow(0, 0, t).narrow(1, 0, t).to(device_);
  for (int64_t i = 0; i < arch_.text_layers; ++i) {
    x = Block(x, "transformer.resblocks." + std::to_string(i) + ".", mask);
  }
  x = torch::layer_norm(x, {arch_.text_width}, W("ln_final.weight"), W("ln_final.bias"),
                        kLayerNormEps);
  auto rows = torch::arange(x.size(0), torch::TensorOptions().dtype(torch::kInt64).device(device_));
  auto eos = x.index({rows, eos_index.to(device_, torch::kInt64)});
  return torch::matmul(eos, W("text_projection"));
}

torch::Tensor ClipModel::LogitScale() { return W("logit_scale").exp(); }

ParameterGroups ClipModel::parameter_groups() {
  ParameterGroups g;
  auto take = [&](const std::vector<std::string>& prefixes) {
    std::vector<torch::Tensor> out;
    for (const auto& [name, t] : weights_) {
      if (IsBatchNormStatistic(name)) continue;
      for (const auto& prefix : prefixes) {
        const bool exact = prefix.back() != '.';
        if (exact ? name == prefix : StartsWith(name, prefix)) {
          out.push_back(t);
          break;
        }
      }
    }
    return out;
  };
  if (arch_.vit) {
    g.image_blocks.push_back(take({"visual.conv1.weight", "visual.class_embedding",
                                   "visual.positional_embedding", "visual.ln_pre."}));
    for (int64_t i = 0; i < arch_.vision_layers; ++i) {
      g.image_blocks.push_back(take({"visual.transformer.resblocks." + std::to_string(i) + "."}));
    }
    g.image_blocks.push_back(take({"visual.ln_post.", "visual.proj"}));
  } else {
    g.image_blocks.push_back(take({"visual.conv1.", "visual.bn1.", "visual.conv2.", "visual.bn2.",
                                   "visual.conv3.", "visual.bn3."}));
    for (int s = 1; s <= 4; ++s)
      g.image_blocks.push_back(take({"visual.layer" + std::to_string(s) + "."}));
    g.image_blocks.push_back(take({"visual.attnpool."}));
  }
  g.text_blocks.push_back(take({"token_embedding.weight", "positional_embedding"}));
  for (int64_t i = 0; i < arch_.text_layers; ++i) {
    g.text_blocks.push_back(take({"transformer.resblocks." + std::to_string(i) + "."}));
  }
  g.text_blocks.push_back(take({"ln_final.", "text_projection"}));
  g.other.push_back(W("logit_scale"));
  return g;
}

std::vector<torch::Tensor> ClipModel::parameters() {
  std::vector<torch::Tensor> out;
  for (const auto& [name, t] : weights_) {
    if (!IsBatchNormStatistic(name)) out.push_back(t);
  }
  return out;
}

int64_t ClipModel::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, t] : weights_) {
    if (!IsBatchNormStatistic(name)) n += t.numel();
  }
  return n;
}

void ClipModel::To(torch::Device device) {
  if (device == device_) return;
  for (auto& [name, t] : weights_) {
    const bool grad = t.requires_grad();
    t = t.detach().to(device).requires_grad_(grad);
  }
  device_ = device;
}

std::shared_ptr<VisionLanguageModel> ClipModel::Clone() const {
  std::shared_ptr<ClipModel> m(new ClipModel(*this));
  for (auto& [name, t] : m->weights_) {
    const bool grad = t.requires_grad();
    t = t.detach().clone().requires_grad_(grad);
  }
  return m;
}

}  // namespace chromatune::models
