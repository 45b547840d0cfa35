#!/usr/bin/python3
"""Decoding benchmark, Python side (bench/data/run.sh runs it next to data_bench).

The same work as data_bench on the same files, written as a PyTorch user's dataset would
do it without torchvision: Image.open(p).convert("RGB"), CLIP's Resize(size, BICUBIC) on the
shorter side (torchvision's output size: the longer side truncated), CenterCrop(size)
(torchvision's offsets, Python's round), then numpy: float32 / 255, minus CLIP's mean, over
its std, HWC -> CHW. Files are spread over a ThreadPoolExecutor of --threads threads (Pillow
releases the GIL while it decodes and resizes, so threads scale, as in a DataLoader's
thread-backed reading); prints the same lines as data_bench.

Usage: data_python.py --list FILE [--threads 2] [--size 224] [--warmup 1] [--reps 5]
"""
import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def load(path, size):
    with Image.open(path) as im:
        im = im.convert("RGB")
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    im = im.resize((new_w, new_h), Image.BICUBIC)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    im = im.crop((left, top, left + size, top + size))
    x = np.asarray(im, dtype=np.float32) / np.float32(255)
    return ((x - MEAN) / STD).transpose(2, 0, 1).copy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5)
    a = parser.parse_args()
    paths = [line.strip() for line in open(a.list) if line.strip()]
    ms = []
    checksum = 0.0
    with ThreadPoolExecutor(max_workers=a.threads) as pool:
        for r in range(a.warmup + a.reps):
            start = time.perf_counter()
            tensors = list(pool.map(lambda p: load(p, a.size), paths))
            end = time.perf_counter()
            if r >= a.warmup:
                ms.append((end - start) * 1000.0)
            checksum = float(sum(t.reshape(-1)[t.size // 2] for t in tensors))
    print("decode_preprocess " + " ".join("%.1f" % t for t in ms))
    print("images %d" % len(paths))
    print("checksum %.3f" % checksum)


if __name__ == "__main__":
    main()
