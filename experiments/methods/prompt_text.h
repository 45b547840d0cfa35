// Hand-written prompts: filling a template with a class name, a referring expression or a
// colour word.
//
// Placeholders: "{}" (classification: the class word; grounding: the expression), "{query}"
// (the expression) and "[MASK]" (CPT: the colour word when scoring with a dual encoder; kept
// literally for a fusion model, which predicts it).
//
// Grounding expressions carry their own article ("the bag left of the shirt"), so an article
// written right before the placeholder ("a photo of a {}.") is dropped when the filler
// starts with one: "a photo of the bag left of the shirt.".
#pragma once

#include <string>

namespace chromatune::methods {

// A prompt request: the class word or expression, the colour word ("" if none) and, for
// class-specific learned context, the class index (-1 otherwise).
struct TextRequest {
  std::string name;
  std::string color;
  int64_t class_id = -1;
};

// Replaces "{}" and "{query}" with `name` (dropping a duplicated article as above) and, when
// `color` is non-empty, "[MASK]" with `color`.
std::string FillTemplate(const std::string& templ, const std::string& name,
                         const std::string& color = "");

}  // namespace chromatune::methods
