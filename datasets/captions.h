// Caption templates of the pretraining corpus, and the CPT prompt they share with methods.
//
// Captions are lower case, words separated by single spaces, with no punctuation ("t-shirt"
// is one word). A tokenizer built from CaptionVocabulary() covers every caption, referring
// expression and prompt that datasets/ produces, plus the zero-shot and CPT templates.
//
// Templates (item words {i}: FashionClassWords() or a synonym; {c} a BlockPalette() colour;
// "a" becomes "an" before a vowel, e.g. "an orange block"):
//   one item, no block:   "a photo of a {i}" (double weight), "a picture of a {i}",
//                         "an image of a {i}", "a {i}", "a photo of the {i}"
//   several, no block:    "a {a} to the left of a {b}", "a {a} left of a {b}",
//                         "a {b} to the right of a {a}", "a {a} above a {b}",
//                         "a {b} below a {a}", "a {a} and a {b}", "a {a} a {b} and a {c}"
//   with a block on item: CptPrompt(query, c) = "{query} is in {c} color" (40%),
//                         "{query} is {c}" (12%), and the indefinite "a {c} block over a {i}",
//                         "a {i} under a {c} block", "a {c} patch on a {i}",
//                         "a {i} marked in {c}" (12% each), where {query} uses class words:
//                         "the {class}" or "the {class} left of the {class}" (UniqueQuery).
// Synonyms (used for about 30% of item words; the class word for the rest): t-shirt: top, tee;
// trousers: pants; pullover: sweater, jumper; coat: jacket; sneaker: trainer; bag: handbag.
#pragma once

#include <string>
#include <vector>

#include "datasets/image.h"
#include "datasets/rng.h"

namespace chromatune::datasets {

// "{query} is in {colour} color" — CPT's "[query] is in [MASK] color." without the period;
// the MLM prompt is CptPrompt(query, "[MASK]").
std::string CptPrompt(const std::string& query, const std::string& colour);

// Synonyms of a class (the class word first), from FashionClassWords().
const std::vector<std::string>& ClassSynonyms(int label);

// Spatial relation of a target item to an anchor item, decided on box centres with a margin
// of a quarter of the smaller box side: kLeftOf means target.cx + margin < anchor.cx, etc.
enum class Relation { kLeftOf, kRightOf, kAbove, kBelow };
const char* RelationPhrase(Relation r);  // "left of", "right of", "above", "below"
bool HoldsRelation(Relation r, const Box& target, const Box& anchor);

// "the {target word}" or "the {target word} {relation} the {anchor word}" (class words, no
// synonyms: these are the expressions FashionRef asks for and CPT prompts with).
std::string ReferringExpression(int target_label);
std::string ReferringExpression(int target_label, Relation r, int anchor_label);

// The caption of a scene with a block on item `marked` (templates above). The query is
// "the {i}" when the marked item's class is unique in the scene; with probability
// `relational_probability` (or always when the class is not unique) a relational query (see
// UniqueQuery). Query templates are used only when `allow_query` and a query exists;
// otherwise an indefinite template ("a {c} block over a {i}"). `choice` carries the random
// template and synonym decisions, so the two members of a hard-negative pair, given the same
// choice and allow_query (false unless both members have a query), get the same template and
// wording.
struct CaptionChoice {
  double template_u = 0, synonym_u = 0, synonym_pick_u = 0, relational_u = 0;
  uint64_t relation_seed = 0;
  static CaptionChoice Draw(Rng* rng);
  // The query for item `marked` under this choice ("" when none), as BlockCaption uses it.
  std::string Query(const std::vector<int>& labels, const std::vector<Box>& boxes, int marked,
                    float relational_probability) const;
};
std::string BlockCaption(const std::vector<int>& labels, const std::vector<Box>& boxes, int marked,
                         const std::string& colour, float relational_probability,
                         const CaptionChoice& choice, bool allow_query = true);

// A query that picks item `target` out of the scene, or "" when none exists: "the {class}"
// when its class is unique and !want_relational; otherwise the first (anchor, relation), in an
// order shuffled by `seed`, with an anchor of another class, that holds for target and for no
// other item of the target's class. Falls back to "the {class}" when the class is unique and
// no relation qualifies.
std::string UniqueQuery(const std::vector<int>& labels, const std::vector<Box>& boxes, int target,
                        bool want_relational, uint64_t seed);

// The caption of a scene without a block: single item → "a photo of a {i}" style; several →
// a relation between two items when one holds, else "a {a} and a {b}" (or the three-item
// list).
std::string SceneCaption(Rng* rng, const std::vector<int>& labels, const std::vector<Box>& boxes);

// Every word that captions, expressions and prompts can contain, sorted and unique, plus the
// words of "a photo of a {}" and CLIP's 7 ImageNet ensemble templates ("itap of a {}", "a bad
// photo of the {}", "a origami {}", "a photo of the large {}", "a {} in a video game", "art
// of the {}", "a photo of the small {}").
std::vector<std::string> CaptionVocabulary();

}  // namespace chromatune::datasets
