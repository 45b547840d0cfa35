#!/usr/bin/python3
"""Writes the decoding benchmark's JPEG files (bench/data/run.sh calls it).

Usage: make_images.py OUT_DIR COUNT SEED

COUNT photo-like JPEGs (Pillow, quality 90, 4:2:0 chroma as most datasets' JPEGs) of varied
non-square sizes around COCO's and Pascal's 500 x 375: width 400..640 and height 300..480,
landscape three times in four, otherwise the sides swapped; content smooth gradients, a few
shapes and noise, so that the files compress like photographs (tens of KB) rather than like
flat fills. Deterministic for a seed. Prints the paths, one a line.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw


def picture(rng, w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        128 + 100 * np.sin(x / rng.uniform(20, 90) + rng.uniform(0, 6)),
        128 + 100 * np.cos(y / rng.uniform(20, 90) + rng.uniform(0, 6)),
        128 + 90 * np.sin((x + y) / rng.uniform(30, 120)),
    ], axis=-1)
    base += rng.normal(0, 12, size=base.shape)
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(3, 9))):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        x1, y1 = x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(20, h // 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, size=3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
    return im


def main():
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        w, h = int(rng.integers(400, 641)), int(rng.integers(300, 481))
        if rng.random() < 0.25:
            w, h = h, w
        path = os.path.join(out, "img%04d.jpg" % i)
        picture(rng, w, h).save(path, "JPEG", quality=90)
        print(path)


if __name__ == "__main__":
    main()
