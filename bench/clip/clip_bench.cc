// CLIP benchmark, C++ side (bench/clip/run.sh runs it next to clip_python.py):
//  1. image encoding: a batch of random 224 x 224 images through ClipModel::EncodeImage under
//     no_grad;
//  2. one CoOp step as CoOp's code takes it: the batch encoded by the frozen image tower, the
//     classes' prompts (PromptLearner::Coop: M unified context vectors, class name at the
//     end) through the text tower by the learned text side (MakeLearnedTextSide), cosine
//     logits scaled by exp(logit_scale), cross-entropy, backward to the context only, one
//     SGD step (CoOp's optimiser: lr 0.002, momentum 0.9, weight decay 5e-4).
// Every model parameter is frozen as TrialEngine freezes a backbone. Prints one line per
// measurement: `NAME ms ms ...`, the --reps timed repetitions after --warmup untimed ones.
//
// Usage: clip_bench --checkpoint F --vocab V [--threads 2] [--batch 32] [--ctx 16]
//                   [--warmup 2] [--reps 10]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/heap_tuning.h"
#include "experiments/methods/head.h"
#include "experiments/methods/prompt_learner.h"
#include "experiments/methods/text_side.h"
#include "experiments/models/clip_model.h"

namespace chromatune {
namespace {

using Clock = std::chrono::steady_clock;

// Fashion-MNIST's class words as chromatune names them (datasets/fashion_mnist.cc).
const std::vector<std::string> kClasses = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                           "sandal",  "shirt",    "sneaker",  "bag",   "boot"};

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void Report(const std::string& name, const std::vector<double>& ms) {
  std::printf("%s", name.c_str());
  for (double t : ms) std::printf(" %.1f", t);
  std::printf("\n");
  std::fflush(stdout);
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "clip_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

torch::Tensor Normalized(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

int Main(int argc, char** argv) {
  TuneHeapForTensors();  // as chromatune's main does: the program users run (heap_tuning.h)
  std::map<std::string, std::string> args = {
      {"--threads", "2"}, {"--batch", "32"}, {"--ctx", "16"}, {"--warmup", "2"}, {"--reps", "10"}};
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (!args.count("--checkpoint") || !args.count("--vocab")) {
    std::fprintf(stderr,
                 "usage: clip_bench --checkpoint F --vocab V [--threads N] [--batch B] "
                 "[--ctx M] [--warmup W] [--reps R]\n");
    return 2;
  }
  const int threads = std::stoi(args["--threads"]);
  const int64_t batch = std::stoll(args["--batch"]), ctx_len = std::stoll(args["--ctx"]);
  const int warmup = std::stoi(args["--warmup"]), reps = std::stoi(args["--reps"]);
  torch::set_num_threads(threads);
  torch::manual_seed(0);

  auto loaded = models::ClipModel::Load(args["--checkpoint"], {args["--vocab"], true});
  if (!loaded.ok()) return Fail("loading the checkpoint", loaded.status());
  std::shared_ptr<models::ClipModel> clip = *loaded;
  std::fprintf(stderr, "clip_bench: %s, %d threads\n", clip->architecture().Describe().c_str(),
               torch::get_num_threads());
  std::shared_ptr<models::VisionLanguageModel> model = clip;    // as trials hold a backbone
  for (auto& p : model->parameters()) p.requires_grad_(false);  // as TrialEngine does
  model->SetTraining(false);

  const int64_t res = model->image_size();
  const torch::Tensor images = torch::rand({batch, 3, res, res});
  const torch::Tensor labels = torch::randint(0, static_cast<int64_t>(kClasses.size()), {batch});

  // 1. Image encoding.
  std::vector<double> image_ms;
  for (int i = 0; i < warmup + reps; ++i) {
    torch::NoGradGuard no_grad;
    const auto t0 = Clock::now();
    const torch::Tensor features = model->EncodeImage(images);
    const auto t1 = Clock::now();
    TORCH_CHECK(features.size(0) == batch);
    if (i >= warmup) image_ms.push_back(Ms(t0, t1));
  }
  Report("image_encode", image_ms);

  // 2. CoOp step.
  auto learner = methods::PromptLearner::Coop(&model->tokenizer(), model->context_length(),
                                              methods::TokenEmbedder(model), ctx_len, "end",
                                              /*csc=*/false, static_cast<int64_t>(kClasses.size()),
                                              /*init=*/"");
  if (!learner.ok()) return Fail("CoOp prompt learner", learner.status());
  std::unique_ptr<methods::TextSide> text =
      methods::MakeLearnedTextSide(model, std::move(*learner));
  std::vector<methods::TextRequest> classes;
  for (size_t c = 0; c < kClasses.size(); ++c) {
    classes.push_back({kClasses[c], "", static_cast<int64_t>(c)});
  }
  if (Status s = text->Check(classes); !s.ok()) return Fail("CoOp prompts", s);
  std::unique_ptr<methods::Head> head = methods::MakeCosineHead(model->LogitScale().detach());
  torch::optim::SGD opt(text->Parameters(),
                        torch::optim::SGDOptions(0.002).momentum(0.9).weight_decay(5e-4));
  std::vector<double> step_ms, part_image, part_forward, part_backward;
  float loss_value = 0.0f;
  for (int i = 0; i < warmup + reps; ++i) {
    const auto t0 = Clock::now();
    torch::Tensor img;
    {
      torch::NoGradGuard no_grad;
      img = Normalized(model->EncodeImage(images));
    }
    const auto t1 = Clock::now();
    torch::Tensor logits = head->Classify(img, text->Encode(classes));
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    const auto t2 = Clock::now();
    opt.zero_grad();
    loss.backward();
    opt.step();
    const auto t3 = Clock::now();
    loss_value = loss.item<float>();
    if (i >= warmup) {
      step_ms.push_back(Ms(t0, t3));
      part_image.push_back(Ms(t0, t1));
      part_forward.push_back(Ms(t1, t2));
      part_backward.push_back(Ms(t2, t3));
    }
  }
  Report("coop_step", step_ms);
  Report("coop_image", part_image);
  Report("coop_text_forward", part_forward);
  Report("coop_backward_sgd", part_backward);
  std::fprintf(stderr, "clip_bench: last CoOp loss %.4f\n", loss_value);
  return 0;
}

}  // namespace
}  // namespace chromatune

int main(int argc, char** argv) { return chromatune::Main(argc, argv); }
