#include "experiments/models/evaluate.h"

#include <algorithm>

#include "datasets/captions.h"
#include "datasets/colors.h"
#include "datasets/fashion_mnist.h"
#include "datasets/fashion_pools.h"
#include "datasets/fashion_ref.h"
#include "datasets/shift.h"
#include "experiments/models/image_tensor.h"

namespace chromatune::models {
namespace {

namespace F = torch::nn::functional;

constexpr int64_t kEvalBatch = 256;
constexpr float kCptAlpha = 127.0f / 255.0f;

torch::Tensor Normalized(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().dim(1));
}

std::string Fill(const std::string& tmpl, const std::string& word) {
  const size_t at = tmpl.find("{}");
  if (at == std::string::npos) return tmpl + " " + word;
  return tmpl.substr(0, at) + word + tmpl.substr(at + 2);
}

Result<std::vector<datasets::GroundingExample>> GroundingSet(const GroundingEvalOptions& o,
                                                             int image_size) {
  if (o.protocol != "red" && o.protocol != "palette") {
    return InvalidArgument("grounding protocol must be \"red\" or \"palette\", got \"" +
                           o.protocol + "\"");
  }
  if (o.protocol == "palette" &&
      o.num_items + o.num_distractors > static_cast<int>(datasets::CptColors().size())) {
    return InvalidArgument("palette protocol: more proposals than CPT's 5 colours");
  }
  datasets::FashionRefOptions ref;
  ref.canvas_size = image_size;
  ref.num_items = o.num_items;
  ref.num_distractors = o.num_distractors;
  ref.fashion_dir = o.fashion_dir;
  CT_RETURN_IF_ERROR(datasets::ValidateFashionRefOptions(ref));
  return datasets::MakeFashionRef(datasets::FashionRefPool::kEval, o.size, ref);
}

// Tallies one example's outcome by the kind of its query.
class ScoreTally {
 public:
  void Add(const datasets::GroundingExample& ex, int64_t choice) {
    const bool right = choice == ex.target;
    if (datasets::HasTwinOfTarget(ex)) {
      ++relational_;
      relational_right_ += right;
    } else {
      ++class_;
      class_right_ += right;
    }
  }
  GroundingScore Score() const {
    GroundingScore s;
    s.class_queries = class_;
    s.relational_queries = relational_;
    s.accuracy = Ratio(class_right_ + relational_right_, class_ + relational_);
    s.class_query_accuracy = Ratio(class_right_, class_);
    s.relational_accuracy = Ratio(relational_right_, relational_);
    return s;
  }

 private:
  static double Ratio(int64_t a, int64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  }
  int64_t class_ = 0, class_right_ = 0, relational_ = 0, relational_right_ = 0;
};

// The "red" protocol's copies: one per proposal, that proposal under CPT's red block.
std::vector<datasets::Image> RedCopies(const datasets::GroundingExample& ex) {
  std::vector<datasets::Image> copies;
  for (const auto& box : ex.proposals) {
    datasets::Image im = ex.image;
    datasets::BlendBox(&im, box, datasets::CptRed().rgb, kCptAlpha);
    copies.push_back(std::move(im));
  }
  return copies;
}

// The "palette" protocol's image: proposal p under CPT colour p.
datasets::Image PaletteImage(const datasets::GroundingExample& ex) {
  datasets::Image im = ex.image;
  for (size_t p = 0; p < ex.proposals.size(); ++p) {
    datasets::BlendBox(&im, ex.proposals[p], datasets::CptColors()[p].rgb, kCptAlpha);
  }
  return im;
}

}  // namespace

Result<double> ZeroShotAccuracy(VisionLanguageModel& model, const ZeroShotEvalOptions& options) {
  const auto which =
      options.val_pool ? datasets::FashionSplit::kTrain : datasets::FashionSplit::kTest;
  CT_ASSIGN_OR_RETURN(auto split, datasets::LoadFashionMnist(which, options.fashion_dir));
  std::vector<int64_t> items;  // indices into `split`
  if (options.val_pool) {
    items = datasets::MakeFashionTrainPools(split->labels).val;
  } else {
    items.resize(static_cast<size_t>(split->count));
    for (int64_t i = 0; i < split->count; ++i) items[static_cast<size_t>(i)] = i;
  }
  torch::NoGradGuard no_grad;
  std::vector<std::string> prompts;
  for (const std::string& w : datasets::FashionClassWords()) {
    prompts.push_back(Fill(options.prompt_template, w));
  }
  auto text = Normalized(model.EncodeTexts(prompts));
  const auto total = static_cast<int64_t>(items.size());
  const int64_t n = options.limit > 0 ? std::min(options.limit, total) : total;
  const auto domain = options.shifted ? datasets::Domain::kShift : datasets::Domain::kPlain;
  const int canvas = static_cast<int>(model.image_size());
  int64_t correct = 0;
  for (int64_t begin = 0; begin < n; begin += kEvalBatch) {
    const int64_t end = std::min(n, begin + kEvalBatch);
    std::vector<datasets::Image> images;
    for (int64_t k = begin; k < end; ++k) {
      const int64_t i = items[static_cast<size_t>(k)];
      images.push_back(
          datasets::RenderClassificationItem(split->item(i), canvas, domain, which, i));
    }
    auto img = Normalized(model.EncodeImage(ImagesToTensor(images), {}));
    auto pred = torch::matmul(img, text.t()).argmax(1).cpu();
    for (int64_t k = begin; k < end; ++k) {
      correct += pred[k - begin].item<int64_t>() == split->labels[items[static_cast<size_t>(k)]];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

Result<GroundingScore> GroundingAccuracy(VisionLanguageModel& model,
                                         const GroundingEvalOptions& options) {
  CT_ASSIGN_OR_RETURN(auto set, GroundingSet(options, static_cast<int>(model.image_size())));
  torch::NoGradGuard no_grad;
  ScoreTally tally;
  for (const auto& ex : set) {
    int64_t choice = 0;
    if (options.protocol == "red") {
      auto img = Normalized(model.EncodeImage(ImagesToTensor(RedCopies(ex)), {}));
      auto txt =
          Normalized(model.EncodeTexts({datasets::CptPrompt(ex.query, datasets::CptRed().name)}));
      choice = torch::matmul(img, txt.t()).squeeze(1).argmax().item<int64_t>();
    } else {
      auto img = Normalized(
          model.EncodeImage(ImagesToTensor(std::vector<datasets::Image>{PaletteImage(ex)}), {}));
      std::vector<std::string> texts;
      for (size_t p = 0; p < ex.proposals.size(); ++p) {
        texts.push_back(datasets::CptPrompt(ex.query, datasets::CptColors()[p].name));
      }
      auto txt = Normalized(model.EncodeTexts(texts));
      choice = torch::matmul(txt, img.t()).squeeze(1).argmax().item<int64_t>();
    }
    tally.Add(ex, choice);
  }
  return tally.Score();
}

Result<GroundingScore> GroundingAccuracy(FusionModel& model, const GroundingEvalOptions& options) {
  CT_ASSIGN_OR_RETURN(auto set, GroundingSet(options, static_cast<int>(model.image_size())));
  torch::NoGradGuard no_grad;
  const Tokenizer& tok = model.tokenizer();
  ScoreTally tally;
  for (const auto& ex : set) {
    int64_t choice = 0;
    if (options.protocol == "red") {
      const int64_t p = static_cast<int64_t>(ex.proposals.size());
      auto enc = tok.Encode({datasets::CptPrompt(ex.query, datasets::CptRed().name)},
                            model.context_length());
      auto logits = model.MatchLogit(ImagesToTensor(RedCopies(ex)), enc.ids.expand({p, -1}));
      choice = logits.argmax().item<int64_t>();
    } else {
      auto enc = tok.Encode({datasets::CptPrompt(ex.query, "[MASK]")}, model.context_length());
      auto mask_at = (enc.ids[0] == Tokenizer::kMask).nonzero();
      if (mask_at.numel() == 0) return Internal("CPT prompt lost its [MASK]: \"" + ex.query + "\"");
      auto logits = model.MaskLogits(ImagesToTensor(std::vector<datasets::Image>{PaletteImage(ex)}),
                                     enc.ids, mask_at[0].view({1}));
      std::vector<int64_t> colour_ids;
      for (size_t p = 0; p < ex.proposals.size(); ++p) {
        colour_ids.push_back(tok.Id(datasets::CptColors()[p].name));
      }
      choice = logits[0]
                   .index_select(0, torch::tensor(colour_ids).to(logits.device()))
                   .argmax()
                   .item<int64_t>();
    }
    tally.Add(ex, choice);
  }
  return tally.Score();
}

}  // namespace chromatune::models
