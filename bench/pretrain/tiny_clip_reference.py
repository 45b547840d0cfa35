#!/usr/bin/env python3
"""The default builtin:tiny-clip and its pretraining step, written in Python PyTorch the way
a CLIP-style training script would (one process, eager mode), for the side-by-side timing in
bench/pretrain/run.sh.

Faithful to experiments/models/{layers,tiny_clip,pretrain}.cc: the same conv stem, class
token, pre-LN transformer blocks with explicit attention, causal text tower read at [EOS],
symmetric InfoNCE with soft targets over equal captions, AdamW with two parameter groups
(no decay on 1-D parameters), warm-up + cosine schedule set every step.

Data: the C++ run composes canvases on the fly (datasets/compositor); here batches of the
same shapes are made up front (random canvases and token ids, captions drawn from 64
distinct texts so equal captions occur as in the corpus) and are NOT timed, so the
comparison is conservative for chromatune.

Usage: tiny_clip_reference.py --vocab-size V [--steps 100] [--threads 2] [--device cpu|cuda]
                              [--context 16] [--warmup 0]
--device cuda (bench/gpu/run.sh) makes the batches on the CPU as before, then moves them and
the model to the GPU; the timed loop is unchanged (loss.item() every step waits for the GPU).
--context sets the text length (bench/gpu passes the C++ model's); --warmup runs that many
untimed steps first (CUDA context, cuBLAS handles, allocator).
Prints one JSON line: {"steps", "seconds", "step_ms", "final_loss", "params", "device",
"context", "warmup"}.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 4 * width)
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x, mask=None):
        b, n, e = x.shape
        dh = e // self.heads
        qkv = self.qkv(self.ln1(x)).view(b, n, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        q = qkv[0] * (1.0 / math.sqrt(dh))
        att = q @ qkv[1].transpose(-2, -1)
        if mask is not None:
            att = att + mask
        att = att.softmax(-1)
        y = (att @ qkv[2]).transpose(1, 2).reshape(b, n, e)
        h = x + self.proj(y)
        return h + self.fc2(F.gelu(self.fc1(self.ln2(h))))


class TinyClip(nn.Module):
    def __init__(self, vocab, image_size=56, conv_widths=(16, 32, 64, 64), vision_layers=1,
                 vision_heads=4, text_width=64, text_layers=2, text_heads=4, context=16,
                 embed_dim=64):
        super().__init__()
        convs, cin = [], 3
        for i, w in enumerate(conv_widths):
            convs.append(nn.Conv2d(cin, w, 3, padding=1, stride=1 if i == 0 else 2))
            cin = w
        self.convs = nn.ModuleList(convs)
        vw = conv_widths[-1]
        grid = image_size >> (len(conv_widths) - 1)
        self.class_token = nn.Parameter(torch.randn(1, 1, vw) * 0.02)
        self.vision_pos = nn.Parameter(torch.randn(1, grid * grid + 1, vw) * 0.02)
        self.vision_blocks = nn.ModuleList([Block(vw, vision_heads) for _ in range(vision_layers)])
        self.vision_ln = nn.LayerNorm(vw)
        self.vision_proj = nn.Linear(vw, embed_dim, bias=False)
        self.token_embedding = nn.Embedding(vocab, text_width)
        nn.init.normal_(self.token_embedding.weight, 0, 0.02)
        self.text_pos = nn.Parameter(torch.randn(1, context, text_width) * 0.01)
        self.text_blocks = nn.ModuleList([Block(text_width, text_heads) for _ in range(text_layers)])
        self.text_ln = nn.LayerNorm(text_width)
        self.text_proj = nn.Linear(text_width, embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_image(self, images):
        x = (images - 0.5) * 4.0
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i + 1 < len(self.convs):
                x = F.gelu(x)
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.size(0), 1, -1), x], 1) + self.vision_pos
        for blk in self.vision_blocks:
            x = blk(x)
        return self.vision_proj(self.vision_ln(x[:, 0]))

    def encode_text(self, ids, eos):
        t = ids.size(1)
        x = self.token_embedding(ids) + self.text_pos[:, :t]
        mask = torch.full((t, t), float("-inf"), device=ids.device).triu(1)
        for blk in self.text_blocks:
            x = blk(x, mask)
        x = x[torch.arange(x.size(0), device=x.device), eos]
        return self.text_proj(self.text_ln(x))


def lr_at(step, lr, warmup, steps):
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return lr * 0.5 * (1 + math.cos(math.pi * progress))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab-size", type=int, required=True)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--context", type=int, default=16, help="text length in tokens")
    ap.add_argument("--warmup", type=int, default=0, help="untimed steps before the timed ones")
    args = ap.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = TinyClip(args.vocab_size, context=args.context).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}], lr=2e-3)
    b, t = args.batch, args.context
    texts = torch.randint(5, args.vocab_size, (64, t))
    batches = []
    for _ in range(4):
        images = torch.rand(b, 3, 56, 56)
        which = torch.randint(0, 64, (b,))
        ids = texts[which].clone()
        eos = torch.randint(4, 12, (b,))
        for i in range(b):
            ids[i, 0] = 1
            ids[i, eos[i]] = 2
            ids[i, eos[i] + 1:] = 0
        batches.append(tuple(x.to(device) for x in (images, ids, eos, which)))

    def step(index):
        for g in opt.param_groups:
            g["lr"] = lr_at(index, 2e-3, 50, 1000)
        images, ids, eos, which = batches[index % len(batches)]
        img = F.normalize(model.encode_image(images), dim=1)
        txt = F.normalize(model.encode_text(ids, eos), dim=1)
        logits = model.logit_scale.exp().clamp(max=100) * img @ txt.t()
        same = (which[:, None] == which[None, :]).float()
        targets = same / same.sum(1, keepdim=True)
        loss = 0.5 * (-(targets * logits.log_softmax(1)).sum(1).mean()
                      - (targets * logits.t().log_softmax(1)).sum(1).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        loss_value = step(args.warmup + i)
    seconds = time.perf_counter() - start
    print(json.dumps({"steps": args.steps, "seconds": seconds,
                      "step_ms": 1000 * seconds / args.steps, "final_loss": loss_value,
                      "params": sum(p.numel() for p in model.parameters()),
                      "device": str(device), "context": t, "warmup": args.warmup}))


if __name__ == "__main__":
    main()
