#include "experiments/methods/prompt_learner.h"

namespace chromatune::methods {
namespace {

using Kind = PromptSegment::Kind;

torch::Tensor EmbedIds(const std::function<torch::Tensor(const torch::Tensor&)>& embed,
                       const std::vector<int64_t>& ids) {
  torch::NoGradGuard no_grad;
  torch::Tensor t = torch::tensor(ids, torch::kInt64).unsqueeze(0);
  return embed(t).squeeze(0).detach().to(torch::kCPU);  // [n, E]
}

}  // namespace

PromptLearner::PromptLearner(const models::TextTokenizer* tokenizer, int64_t context_length,
                             std::function<torch::Tensor(const torch::Tensor&)> embed,
                             std::vector<PromptSegment> layout, torch::Tensor context)
    : tokenizer_(tokenizer),
      context_length_(context_length),
      embed_(std::move(embed)),
      layout_(std::move(layout)),
      context_(std::move(context)) {}

Result<PromptLearner> PromptLearner::Coop(const models::TextTokenizer* tokenizer,
                                          int64_t context_length,
                                          std::function<torch::Tensor(const torch::Tensor&)> embed,
                                          int64_t ctx_len, const std::string& class_position,
                                          bool csc, int64_t num_classes, const std::string& init) {
  const std::vector<int64_t> init_ids = tokenizer->EncodeWords(init);
  if (static_cast<int64_t>(init_ids.size()) > ctx_len) {
    return InvalidArgument("params.init: \"" + init + "\" has " + std::to_string(init_ids.size()) +
                           " words, more than ctx_len " + std::to_string(ctx_len));
  }
  CT_RETURN_IF_ERROR(tokenizer->CheckText(init).WithContext("params.init"));
  for (size_t i = 0; i < init_ids.size(); ++i) {
    if (init_ids[i] == tokenizer->unknown_id()) {
      return InvalidArgument("params.init: a word of \"" + init +
                             "\" is not in the backbone's vocabulary");
    }
  }
  if (csc && num_classes < 1) {
    return InvalidArgument("params.csc: class-specific context needs the task's classes");
  }
  torch::Tensor probe = EmbedIds(embed, {tokenizer->placeholder_id()});
  const int64_t width = probe.size(1);
  torch::Tensor ctx = torch::randn({ctx_len, width}) * 0.02;
  if (!init_ids.empty()) {
    const int64_t n = static_cast<int64_t>(init_ids.size());
    ctx.slice(0, ctx_len - n, ctx_len).copy_(EmbedIds(embed, init_ids));
  }
  if (csc) ctx = ctx.unsqueeze(0).repeat({num_classes, 1, 1}).contiguous();
  ctx.requires_grad_(true);
  std::vector<PromptSegment> layout;
  if (class_position == "front") {
    layout = {{Kind::kName, 0, 0}, {Kind::kContext, 0, ctx_len}};
  } else if (class_position == "middle") {
    const int64_t half = ctx_len / 2;
    layout = {
        {Kind::kContext, 0, half}, {Kind::kName, 0, 0}, {Kind::kContext, half, ctx_len - half}};
  } else {
    layout = {{Kind::kContext, 0, ctx_len}, {Kind::kName, 0, 0}};
  }
  return PromptLearner(tokenizer, context_length, std::move(embed), std::move(layout),
                       std::move(ctx));
}

Result<PromptLearner> PromptLearner::FromTemplate(
    const models::TextTokenizer* tokenizer, int64_t context_length,
    std::function<torch::Tensor(const torch::Tensor&)> embed, const std::string& templ,
    bool mask_token) {
  if (mask_token && tokenizer->mask_id() < 0) {
    return InvalidArgument("params.template: [MASK] needs a fusion backbone with a mask token");
  }
  std::vector<PromptSegment> layout;
  std::vector<int64_t> literal_ids;
  size_t pos = 0;
  auto add_literal = [&](const std::string& text) {
    const std::vector<int64_t> ids = tokenizer->EncodeWords(text);
    if (ids.empty()) return;
    layout.push_back({Kind::kContext, static_cast<int64_t>(literal_ids.size()),
                      static_cast<int64_t>(ids.size())});
    literal_ids.insert(literal_ids.end(), ids.begin(), ids.end());
  };
  while (pos < templ.size()) {
    const size_t q = templ.find("{query}", pos), m = templ.find("[MASK]", pos);
    const size_t next = std::min(q, m);
    add_literal(templ.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) break;
    if (next == q) {
      layout.push_back({Kind::kName, 0, 0});
      pos = q + 7;
    } else {
      layout.push_back({mask_token ? Kind::kMask : Kind::kColor, 0, 0});
      pos = m + 6;
    }
  }
  if (literal_ids.empty()) {
    return InvalidArgument("params.template: \"" + templ +
                           "\" has no words around {query} and [MASK] to tune");
  }
  torch::Tensor ctx = EmbedIds(embed, literal_ids).clone().requires_grad_(true);
  return PromptLearner(tokenizer, context_length, std::move(embed), std::move(layout),
                       std::move(ctx));
}

Status PromptLearner::Check(const std::vector<TextRequest>& requests) const {
  for (const auto& r : requests) {
    CT_RETURN_IF_ERROR(tokenizer_->CheckText(r.name));
    CT_RETURN_IF_ERROR(tokenizer_->CheckText(r.color));
    int64_t n = 2;
    for (const auto& s : layout_) {
      if (s.kind == Kind::kContext) n += s.count;
      if (s.kind == Kind::kName) n += static_cast<int64_t>(tokenizer_->EncodeWords(r.name).size());
      if (s.kind == Kind::kColor) {
        n += static_cast<int64_t>(tokenizer_->EncodeWords(r.color).size());
      }
      if (s.kind == Kind::kMask) n += 1;
    }
    if (n > context_length_) {
      return InvalidArgument("prompt for \"" + r.name + "\" needs " + std::to_string(n) +
                             " tokens with its learned context, but the backbone's text "
                             "tower takes " +
                             std::to_string(context_length_) + " (lower params.ctx_len)");
    }
    if (class_specific() && (r.class_id < 0 || r.class_id >= context_.size(0))) {
      return InvalidArgument("class-specific context (params.csc) needs a class index in [0, " +
                             std::to_string(context_.size(0)) + "), got " +
                             std::to_string(r.class_id) + " (csc is for classification)");
    }
  }
  return Status::Ok();
}

PromptBatch PromptLearner::Build(const std::vector<TextRequest>& requests) const {
  const int64_t k = static_cast<int64_t>(requests.size());
  const int64_t per_class = class_specific() ? context_.size(1) : 0;
  std::vector<int64_t> ids(k * context_length_, tokenizer_->pad_id());
  std::vector<int64_t> eos(k), mask(k, -1), rows, cols, ctx_index;
  for (int64_t i = 0; i < k; ++i) {
    const TextRequest& r = requests[i];
    int64_t t = 0;
    int64_t* row = &ids[i * context_length_];
    row[t++] = tokenizer_->start_id();
    for (const auto& s : layout_) {
      switch (s.kind) {
        case Kind::kContext:
          for (int64_t j = 0; j < s.count; ++j) {
            rows.push_back(i);
            cols.push_back(t);
            ctx_index.push_back((class_specific() ? r.class_id * per_class : 0) + s.first + j);
            row[t++] = tokenizer_->placeholder_id();
          }
          break;
        case Kind::kName:
          for (int64_t id : tokenizer_->EncodeWords(r.name)) row[t++] = id;
          break;
        case Kind::kColor:
          mask[i] = t;
          for (int64_t id : tokenizer_->EncodeWords(r.color)) row[t++] = id;
          break;
        case Kind::kMask:
          mask[i] = t;
          row[t++] = tokenizer_->mask_id();
          break;
      }
    }
    eos[i] = t;
    row[t] = tokenizer_->end_id();
  }
  PromptBatch b;
  b.ids = torch::tensor(ids, torch::kInt64).view({k, context_length_});
  b.eos_index = torch::tensor(eos, torch::kInt64);
  b.mask_index = torch::tensor(mask, torch::kInt64);
  torch::Tensor base;
  {
    torch::NoGradGuard no_grad;
    base = embed_(b.ids).detach();
  }
  if (rows.empty()) {
    b.embeds = base;
    return b;
  }
  const torch::Tensor flat = context_.reshape({-1, context_.size(-1)});
  const torch::Tensor values =
      flat.index_select(0, torch::tensor(ctx_index, torch::kInt64)).to(base.device());
  const auto dev = base.device();
  b.embeds = base.index_put(
      {torch::tensor(rows, torch::kInt64).to(dev), torch::tensor(cols, torch::kInt64).to(dev)},
      values);
  return b;
}

std::vector<std::string> PromptLearner::NearestWords() const {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> all(tokenizer_->vocab_size());
  for (int64_t i = 0; i < tokenizer_->vocab_size(); ++i) all[i] = i;
  const torch::Tensor vocab = EmbedIds(embed_, all);  // [V, E]
  const torch::Tensor flat = context_.detach().reshape({-1, context_.size(-1)}).to(torch::kCPU);
  const torch::Tensor nearest = torch::cdist(flat, vocab).argmin(1);
  std::vector<std::string> words;
  for (int64_t i = 0; i < nearest.size(0); ++i) {
    words.push_back(tokenizer_->Word(nearest[i].item<int64_t>()));
  }
  return words;
}

}  // namespace chromatune::methods
