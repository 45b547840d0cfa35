#include "datasets/captions.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "datasets/colors.h"
#include "datasets/fashion_mnist.h"

namespace chromatune::datasets {

namespace {

constexpr double kSynonymProbability = 0.3;
// Share of block captions that use CPT's own template (the one evaluation prompts with).
constexpr double kCptTemplateShare = 0.4;

std::string WordFor(int label, double synonym_u, double pick_u) {
  const std::vector<std::string>& syn = ClassSynonyms(label);
  if (syn.size() < 2 || synonym_u >= kSynonymProbability) return syn[0];
  size_t k = 1 + std::min(syn.size() - 2, static_cast<size_t>(pick_u * (syn.size() - 1)));
  return syn[k];
}

std::string Article(const std::string& word) {
  return std::string("aeiou").find(word[0]) != std::string::npos ? "an" : "a";
}

// Block templates that take the item word (indefinite) rather than a query.
std::string IndefiniteBlock(int k, const std::string& item, const std::string& c) {
  switch (k) {
    case 0:
      return Article(c) + " " + c + " block over " + Article(item) + " " + item;
    case 1:
      return Article(item) + " " + item + " under " + Article(c) + " " + c + " block";
    case 2:
      return Article(c) + " " + c + " patch on " + Article(item) + " " + item;
    default:
      return Article(item) + " " + item + " marked in " + c;
  }
}

void AddWords(const std::string& text, std::set<std::string>* words) {
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    if (w.front() == '{') continue;  // a placeholder
    while (!w.empty() && (w.back() == '.' || w.back() == ',')) w.pop_back();
    if (!w.empty()) words->insert(w);
  }
}

}  // namespace

std::string CptPrompt(const std::string& query, const std::string& colour) {
  return query + " is in " + colour + " color";
}

const std::vector<std::string>& ClassSynonyms(int label) {
  static const std::vector<std::vector<std::string>> kSynonyms = {{"t-shirt", "top", "tee"},
                                                                  {"trousers", "pants"},
                                                                  {"pullover", "sweater", "jumper"},
                                                                  {"dress"},
                                                                  {"coat", "jacket"},
                                                                  {"sandal"},
                                                                  {"shirt"},
                                                                  {"sneaker", "trainer"},
                                                                  {"bag", "handbag"},
                                                                  {"boot"}};
  return kSynonyms.at(static_cast<size_t>(label));
}

const char* RelationPhrase(Relation r) {
  switch (r) {
    case Relation::kLeftOf:
      return "left of";
    case Relation::kRightOf:
      return "right of";
    case Relation::kAbove:
      return "above";
    case Relation::kBelow:
      return "below";
  }
  return "";
}

bool HoldsRelation(Relation r, const Box& target, const Box& anchor) {
  float margin =
      0.25f * std::min({target.width(), target.height(), anchor.width(), anchor.height()});
  switch (r) {
    case Relation::kLeftOf:
      return target.center_x() + margin < anchor.center_x();
    case Relation::kRightOf:
      return target.center_x() > anchor.center_x() + margin;
    case Relation::kAbove:
      return target.center_y() + margin < anchor.center_y();
    case Relation::kBelow:
      return target.center_y() > anchor.center_y() + margin;
  }
  return false;
}

std::string ReferringExpression(int target_label) {
  return "the " + FashionClassWords()[target_label];
}

std::string ReferringExpression(int target_label, Relation r, int anchor_label) {
  return "the " + FashionClassWords()[target_label] + " " + RelationPhrase(r) + " the " +
         FashionClassWords()[anchor_label];
}

CaptionChoice CaptionChoice::Draw(Rng* rng) {
  CaptionChoice c;
  c.template_u = rng->Uniform();
  c.synonym_u = rng->Uniform();
  c.synonym_pick_u = rng->Uniform();
  c.relational_u = rng->Uniform();
  c.relation_seed = rng->Next();
  return c;
}

std::string CaptionChoice::Query(const std::vector<int>& labels, const std::vector<Box>& boxes,
                                 int marked, float relational_probability) const {
  return UniqueQuery(labels, boxes, marked, relational_u < relational_probability, relation_seed);
}

std::string UniqueQuery(const std::vector<int>& labels, const std::vector<Box>& boxes, int target,
                        bool want_relational, uint64_t seed) {
  const int n = static_cast<int>(labels.size());
  bool unique = true;
  for (int j = 0; j < n; ++j) {
    if (j != target && labels[j] == labels[target]) unique = false;
  }
  if (unique && !want_relational) return ReferringExpression(labels[target]);
  std::vector<std::pair<int, Relation>> options;
  for (int j = 0; j < n; ++j) {
    if (labels[j] == labels[target]) continue;
    for (Relation r : {Relation::kLeftOf, Relation::kRightOf, Relation::kAbove, Relation::kBelow}) {
      options.emplace_back(j, r);
    }
  }
  Rng rng(seed);
  rng.Shuffle(&options);
  for (const auto& [anchor, r] : options) {
    if (!HoldsRelation(r, boxes[target], boxes[anchor])) continue;
    bool ambiguous = false;
    for (int k = 0; k < n; ++k) {
      if (k != target && labels[k] == labels[target] && HoldsRelation(r, boxes[k], boxes[anchor])) {
        ambiguous = true;
      }
    }
    if (!ambiguous) return ReferringExpression(labels[target], r, labels[anchor]);
  }
  return unique ? ReferringExpression(labels[target]) : "";
}

std::string BlockCaption(const std::vector<int>& labels, const std::vector<Box>& boxes, int marked,
                         const std::string& colour, float relational_probability,
                         const CaptionChoice& choice, bool allow_query) {
  const std::string item = WordFor(labels[marked], choice.synonym_u, choice.synonym_pick_u);
  const std::string query =
      allow_query ? choice.Query(labels, boxes, marked, relational_probability) : "";
  // template_u picks: [0, 0.4) CPT's template, [0.4, 0.52) "{query} is {c}", then the four
  // indefinite templates in equal shares.
  double u = choice.template_u;
  if (!query.empty() && u < kCptTemplateShare) return CptPrompt(query, colour);
  const double rest = (1.0 - kCptTemplateShare) / 5.0;
  if (!query.empty() && u < kCptTemplateShare + rest) return query + " is " + colour;
  int k = static_cast<int>(std::floor(std::max(0.0, u - kCptTemplateShare - rest) / rest));
  return IndefiniteBlock(std::clamp(k, 0, 3), item, colour);
}

std::string SceneCaption(Rng* rng, const std::vector<int>& labels, const std::vector<Box>& boxes) {
  auto word = [&](int i) {
    double a = rng->Uniform(), b = rng->Uniform();
    return WordFor(labels[i], a, b);
  };
  const int n = static_cast<int>(labels.size());
  if (n == 1) {
    // "a photo of a {i}" twice as likely as the others: zero-shot prompts with it.
    const int t = static_cast<int>(rng->UniformInt(0, 5));
    const std::string w = word(0);
    const std::string item = Article(w) + " " + w;
    switch (t) {
      case 0:
      case 1:
        return "a photo of " + item;
      case 2:
        return "a picture of " + item;
      case 3:
        return "an image of " + item;
      case 4:
        return item;
      default:
        return "a photo of the " + w;
    }
  }
  if (n >= 3 && rng->Bernoulli(0.25)) {
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return boxes[a].center_x() < boxes[b].center_x(); });
    std::string out;
    for (int k = 0; k < n; ++k) {
      std::string w = word(order[k]);
      if (k > 0) out += k + 1 == n ? " and " : " ";
      out += Article(w) + " " + w;
    }
    return out;
  }
  int a = static_cast<int>(rng->UniformInt(0, n - 1));
  int b = static_cast<int>(rng->UniformInt(0, n - 2));
  if (b >= a) ++b;
  std::string wa = word(a), wb = word(b);
  std::string A = Article(wa) + " " + wa, B = Article(wb) + " " + wb;
  std::vector<std::string> options;
  if (HoldsRelation(Relation::kLeftOf, boxes[a], boxes[b])) {
    options = {A + " to the left of " + B, A + " left of " + B, B + " to the right of " + A};
  } else if (HoldsRelation(Relation::kRightOf, boxes[a], boxes[b])) {
    options = {A + " to the right of " + B, A + " right of " + B, B + " to the left of " + A};
  }
  if (HoldsRelation(Relation::kAbove, boxes[a], boxes[b])) {
    options.push_back(A + " above " + B);
    options.push_back(B + " below " + A);
  } else if (HoldsRelation(Relation::kBelow, boxes[a], boxes[b])) {
    options.push_back(A + " below " + B);
    options.push_back(B + " above " + A);
  }
  options.push_back(A + " and " + B);
  return options[static_cast<size_t>(rng->UniformInt(0, static_cast<int64_t>(options.size()) - 1))];
}

std::vector<std::string> CaptionVocabulary() {
  std::set<std::string> words;
  for (const char* t :
       {"a photo of a {}", "a picture of a {}", "an image of a {}", "a photo of the {}",
        "{} is in {} color", "{} is {}", "a {} block over a {}", "a {} under a {} block",
        "a {} patch on a {}", "a {} marked in {}", "the {} left of the {}", "right of", "above",
        "below", "a {} to the left of a {}", "a {} to the right of a {}", "a {} and a {}",
        // CLIP's 7 ImageNet ensemble templates.
        "itap of a {}.", "a bad photo of the {}.", "a origami {}.", "a photo of the large {}.",
        "a {} in a video game.", "art of the {}.", "a photo of the small {}."}) {
    AddWords(t, &words);
  }
  for (int label = 0; label < kFashionClasses; ++label) {
    for (const std::string& w : ClassSynonyms(label)) words.insert(w);
  }
  for (const NamedColor& c : BlockPalette()) words.insert(c.name);
  return {words.begin(), words.end()};
}

}  // namespace chromatune::datasets
