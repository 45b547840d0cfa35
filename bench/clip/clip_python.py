#!/usr/bin/python3
"""CLIP benchmark, Python side (bench/clip/run.sh runs it next to clip_bench).

The same architecture and checkpoint in Python PyTorch (tests/clip/clip_reference.py, the
reference the C++ loader is tested against), on the same LibTorch (Debian's python3-torch):
  1. image encoding: a batch of random 224 x 224 images under no_grad;
  2. one CoOp step written as CoOp's code does it (Zhou et al., trainers/coop.py): token
     embeddings of "X X ... X {class}" computed once, the M unified context vectors spliced
     in at positions 1..M, the text encoder read at the end token (argmax of the ids), the
     batch encoded by the frozen image tower, cosine logits scaled by exp(logit_scale),
     cross-entropy, backward to the context only, SGD (lr 0.002, momentum 0.9, weight decay
     5e-4).
Prompts have chromatune's layout ([SOS] ctx class [EOS], no trailing "."), so both sides
run the same 77-token text tower on the same tokens.
Prints one line per measurement: `NAME ms ms ...`, the --reps timed repetitions after
--warmup untimed ones.

Usage: clip_python.py --checkpoint F --vocab V [--threads 2] [--batch 32] [--ctx 16]
                      [--warmup 2] [--reps 10]
"""

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "clip"))
import bpe_reference  # noqa: E402
import clip_reference as cr  # noqa: E402

# Fashion-MNIST's class words as chromatune names them (datasets/fashion_mnist.cc).
CLASSES = ["t-shirt", "trousers", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "boot"]
SOT, EOT = 49406, 49407


def report(name, ms):
    print(name, " ".join(f"{t:.1f}" for t in ms), flush=True)


class PromptLearner(torch.nn.Module):
    """CoOp's unified context, class token at the end."""

    def __init__(self, model, tokenizer, classes, n_ctx):
        super().__init__()
        width = model.ln_final.weight.shape[0]
        ctx_len = model.positional_embedding.shape[0]
        self.ctx = torch.nn.Parameter(torch.randn(n_ctx, width) * 0.02)
        placeholder = tokenizer.encode("X")[0]
        ids = torch.zeros(len(classes), ctx_len, dtype=torch.long)
        for i, name in enumerate(classes):
            row = [SOT] + [placeholder] * n_ctx + tokenizer.encode(name) + [EOT]
            ids[i, :len(row)] = torch.tensor(row)
        with torch.no_grad():
            embedding = model.token_embedding(ids)
        self.register_buffer("token_prefix", embedding[:, :1, :])          # SOS
        self.register_buffer("token_suffix", embedding[:, 1 + n_ctx:, :])  # class, EOS, pad
        self.tokenized = ids

    def forward(self):
        n = self.token_prefix.shape[0]
        ctx = self.ctx.unsqueeze(0).expand(n, -1, -1)
        return torch.cat([self.token_prefix, ctx, self.token_suffix], dim=1)


def encode_text(model, prompts, tokenized):
    """CoOp's TextEncoder: embeddings in, features at the end token out."""
    x = prompts + model.positional_embedding
    n = x.shape[1]
    mask = torch.full((n, n), float("-inf")).triu(1)
    x = model.transformer(x, mask)
    x = model.ln_final(x)
    x = x[torch.arange(x.shape[0]), tokenized.argmax(dim=-1)]
    return x @ model.text_projection


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--vocab", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--ctx", type=int, default=16)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    model = cr.build_from_state_dict(torch.load(a.checkpoint, map_location="cpu"))
    for param in model.parameters():
        param.requires_grad_(False)
    print(f"clip_python: torch {torch.__version__}, {torch.get_num_threads()} threads",
          file=sys.stderr)
    res = model.visual.input_resolution
    images = torch.rand(a.batch, 3, res, res)
    labels = torch.randint(0, len(CLASSES), (a.batch,))
    mean = torch.tensor(cr.CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(cr.CLIP_STD).view(1, 3, 1, 1)

    def encode_image(x):
        return model.encode_image((x - mean) / std)  # the C++ model normalises inside

    # 1. Image encoding.
    times = []
    for i in range(a.warmup + a.reps):
        with torch.no_grad():
            t0 = time.perf_counter()
            encode_image(images)
            t1 = time.perf_counter()
        if i >= a.warmup:
            times.append((t1 - t0) * 1e3)
    report("image_encode", times)

    # 2. CoOp step.
    learner = PromptLearner(model, bpe_reference.Tokenizer(a.vocab), CLASSES, a.ctx)
    opt = torch.optim.SGD([learner.ctx], lr=0.002, momentum=0.9, weight_decay=5e-4)
    logit_scale = model.logit_scale.exp()
    step, part_image, part_forward, part_backward = [], [], [], []
    for i in range(a.warmup + a.reps):
        t0 = time.perf_counter()
        with torch.no_grad():
            img = encode_image(images)
            img = img / img.norm(dim=-1, keepdim=True)
        t1 = time.perf_counter()
        txt = encode_text(model, learner(), learner.tokenized)
        txt = txt / txt.norm(dim=-1, keepdim=True)
        logits = logit_scale * img @ txt.t()
        loss = F.cross_entropy(logits, labels)
        t2 = time.perf_counter()
        opt.zero_grad()
        loss.backward()
        opt.step()
        t3 = time.perf_counter()
        if i >= a.warmup:
            step.append((t3 - t0) * 1e3)
            part_image.append((t1 - t0) * 1e3)
            part_forward.append((t2 - t1) * 1e3)
            part_backward.append((t3 - t2) * 1e3)
    report("coop_step", step)
    report("coop_image", part_image)
    report("coop_text_forward", part_forward)
    report("coop_backward_sgd", part_backward)
    print(f"clip_python: last CoOp loss {loss.item():.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
