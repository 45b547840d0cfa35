#!/usr/bin/env python3
"""One few-shot trial (CoOp or fine-tuning, K shots per class on Fashion-MNIST) written in
Python PyTorch the way CoOp's code runs it, for the side-by-side timing in bench/trial/run.sh.
Run as one process per trial; the caller times the whole process (start included).

Same work as `chromatune trial` with the same item:
  - reads the Fashion-MNIST IDX files (gzip) of Debian's dataset-fashion-mnist,
  - draws K items per class from the train split and the 2,000-item evaluation subset
    (200 per class) from the test split, rendered as 56x56 RGB canvases (item resized to
    28 px, centred on a dark background),
  - the default builtin:tiny-clip architecture (bench/pretrain/tiny_clip_reference.py, random
    weights: timing does not depend on their values),
  - coop: CoOp's PromptLearner (M unified context vectors, class at the end), SGD lr 0.002
    momentum 0.9 weight decay 5e-4, cosine per epoch, batch 32; the frozen image encoder runs
    on every batch as in CoOp's forward (`--cache-features` encodes each image once instead,
    as chromatune does);
  - finetune: the whole image tower plus a linear head initialised from the zero-shot text
    features, AdamW lr 1e-4 weight decay 0.01, cosine per epoch, batch 32;
  - accuracy evaluated as chromatune does: a curve point on the first 256 evaluation items
    after the same 10 evenly spaced epochs, and all 2,000 after the last epoch.
Prints one JSON line {"method", "accuracy", "seconds", "steps"}.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrain"))
from tiny_clip_reference import TinyClip  # noqa: E402

CLASSES = ["t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "boot"]
DATA = os.environ.get("CHROMATUNE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def per_class(labels, k, rng):
    out = []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        out.extend(rng.permutation(idx)[:k].tolist())
    return np.array(out)


def render(items):
    x = torch.from_numpy(items.astype(np.float32) / 255.0).unsqueeze(1)
    canvas = torch.full((len(items), 3, 56, 56), 0.08)
    canvas[:, :, 14:42, 14:42] = torch.maximum(canvas[:, :, 14:42, 14:42], x * 0.9)
    return canvas


class PromptLearner(nn.Module):
    """CoOp's PromptLearner (unified context, class token at the end)."""

    def __init__(self, model, name_ids, n_ctx, context_length):
        super().__init__()
        width = model.token_embedding.weight.shape[1]
        self.ctx = nn.Parameter(torch.randn(n_ctx, width) * 0.02)
        ids, eos = [], []
        for name in name_ids:
            row = [1] + [4] * n_ctx + name + [2]
            eos.append(len(row) - 1)
            ids.append(row + [0] * (context_length - len(row)))
        ids = torch.tensor(ids)
        with torch.no_grad():
            emb = model.token_embedding(ids)
        self.register_buffer("prefix", emb[:, :1])
        self.register_buffer("suffix", emb[:, 1 + n_ctx:])
        self.eos = torch.tensor(eos)
        self.ids = ids

    def forward(self):
        ctx = self.ctx.unsqueeze(0).expand(self.prefix.size(0), -1, -1)
        return torch.cat([self.prefix, ctx, self.suffix], 1)


def encode_text_embeds(model, x, eos):
    t = x.size(1)
    x = x + model.text_pos[:, :t]
    mask = torch.full((t, t), float("-inf"), device=x.device).triu(1)
    for blk in model.text_blocks:
        x = blk(x, mask)
    x = x[torch.arange(x.size(0), device=x.device), eos]
    return model.text_proj(model.text_ln(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", choices=["coop", "finetune"], required=True)
    ap.add_argument("--vocab", required=True, help="spec.json of the chromatune checkpoint")
    ap.add_argument("--shots", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--ctx-len", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache-features", action="store_true")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (bench/gpu/run.sh)")
    args = ap.parse_args()
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(2)
    vocab = json.load(open(args.vocab))["vocabulary"]
    word = {w: i for i, w in enumerate(vocab)}
    rng = np.random.default_rng(1)
    train_x, train_y = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
    test_x, test_y = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")
    support = per_class(train_y, args.shots, rng)
    evals = np.sort(per_class(test_y, 200, np.random.default_rng(20211)))
    xs, ys = render(train_x[support]), torch.from_numpy(train_y[support].astype(np.int64))
    xe, ye = render(test_x[evals]), torch.from_numpy(test_y[evals].astype(np.int64))

    model = TinyClip(len(vocab))
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    scale = model.logit_scale.exp().clamp(max=100)
    names = [[word.get(w, 4) for w in c.split()] for c in CLASSES]
    if args.method == "coop":
        learner = PromptLearner(model, names, args.ctx_len, 16)
        params = [learner.ctx]
        opt = torch.optim.SGD(params, lr=0.002, momentum=0.9, weight_decay=5e-4)
        base_lr = 0.002
    else:
        prompts = [[1] + [word.get(w, 4) for w in "a photo of a".split()] + n + [2] for n in names]
        eos = torch.tensor([len(p) - 1 for p in prompts])
        ids = torch.tensor([p + [0] * (16 - len(p)) for p in prompts])
        with torch.no_grad():
            text = F.normalize(encode_text_embeds(model, model.token_embedding(ids), eos), dim=1)
        head = nn.Linear(text.size(1), 10)
        with torch.no_grad():
            head.weight.copy_(scale * text)
            head.bias.zero_()
        image_params = [p for n, p in model.named_parameters()
                        if not n.startswith(("token_embedding", "text_", "logit_scale"))]
        for p in image_params:
            p.requires_grad_(True)
        model.train()
        params = image_params + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
        base_lr = 1e-4

    # Built on the CPU as above (the same init), then moved: parameters keep their identity,
    # so the optimiser made above steps the moved ones.
    dev = torch.device(args.device)
    model.to(dev)
    xs, ys, xe, ye = (t.to(dev) for t in (xs, ys, xe, ye))
    if args.method == "coop":
        learner.to(dev)
        learner.eos = learner.eos.to(dev)
    else:
        head.to(dev)

    cached = {}

    def image_features(x, key):
        if args.cache_features and args.method == "coop":
            if key not in cached:
                with torch.no_grad():
                    cached[key] = F.normalize(model.encode_image(x), dim=1)
            return cached[key]
        if args.method == "coop":
            with torch.no_grad():
                return F.normalize(model.encode_image(x), dim=1)
        return F.normalize(model.encode_image(x), dim=1)

    def logits(x, key):
        f = image_features(x, key)
        if args.method == "coop":
            t = F.normalize(encode_text_embeds(model, learner(), learner.eos), dim=1)
            return scale * f @ t.t()
        return head(f)

    def evaluate(limit=None):
        n_eval = len(xe) if limit is None else min(limit, len(xe))
        correct = 0
        with torch.no_grad():
            for s in range(0, n_eval, 256):
                e = min(s + 256, n_eval)
                correct += (logits(xe[s:e], ("e", s, e)).argmax(1) == ye[s:e]).sum().item()
        return correct / n_eval

    eval_epochs = {max(0, args.epochs * i // 10 - 1) for i in range(1, 11)} | {args.epochs - 1}
    steps, acc = 0, 0.0
    n = len(xs)
    for epoch in range(args.epochs):
        for g in opt.param_groups:
            g["lr"] = 0.5 * base_lr * (1 + math.cos(math.pi * epoch / args.epochs))
        order = torch.randperm(n)
        for s in range(0, n, 32):
            idx = order[s:s + 32]
            key = ("s", tuple(idx.tolist()))
            if args.cache_features and args.method == "coop":
                f = torch.cat([image_features(xs[i:i + 1], ("s", int(i))) for i in idx])
                t = F.normalize(encode_text_embeds(model, learner(), learner.eos), dim=1)
                out = scale * f @ t.t()
            else:
                out = logits(xs[idx], key)
            loss = F.cross_entropy(out, ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
        if epoch in eval_epochs:
            evaluate(256)  # a curve point: the first 256 items, as chromatune's curve
            if epoch == args.epochs - 1:
                acc = evaluate()  # the trial's accuracy: all 2,000
    print(json.dumps({"method": args.method, "accuracy": acc, "steps": steps,
                      "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
