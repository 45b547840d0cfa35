#!/usr/bin/python3
"""Pillow reference for datasets/resample.h, run by tests/datasets/resample_test.cc.

Usage: pil_preprocess_reference.py JOBS_FILE

Each line of JOBS_FILE is one job, fields separated by single tabs:
  decode  IN  OUT            Image.open(IN).convert("RGB")
  resize  IN  W  H  OUT      ... then .resize((W, H), Image.BICUBIC)
  clip    IN  RES  OUT       ... then CLIP's Resize(RES, BICUBIC) + CenterCrop(RES)
  cropclip  IN  X0 Y0 X1 Y1  RES  OUT
                             ... cropped to the box (x0, y0, x1, y1), then as clip
  blendclip IN  X0 Y0 X1 Y1  R G B ALPHA  RES  OUT
                             ... with (R, G, B) blended over the box with ALPHA, each byte
                             floor((1 - a) * v + a * c + 0.5) in float32 (image.h
                             BlendChannel's arithmetic; needs numpy), then as clip
  jpeg    IN  QUALITY  OUT   ... saved as a JPEG by Pillow (libjpeg, default 4:2:0 chroma)
OUT is written as a binary PPM (P6) of the resulting RGB pixels, bytes as Pillow holds them
(except for jpeg, whose OUT is the JPEG file).

CLIP's Resize/CenterCrop are torchvision 0.14's on PIL images, restated here so that the
reference needs only Pillow: the output size of functional._compute_resized_output_size and
the crop offsets of functional.center_crop (round() is Python's, halves to even).
Exit status 0 on success; a traceback otherwise.
"""
import sys

from PIL import Image


def open_rgb(path):
    with Image.open(path) as im:
        return im.convert("RGB")


def clip_preprocess(im, res):
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = res, int(res * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    im = im.resize((new_w, new_h), Image.BICUBIC)  # a copy when the size is unchanged
    # Resize makes both sides >= res, so torchvision's padding branch never applies here.
    top = int(round((new_h - res) / 2.0))
    left = int(round((new_w - res) / 2.0))
    return im.crop((left, top, left + res, top + res))


def blend_box(im, box, colour, alpha):
    import numpy as np  # only this job needs it

    x0, y0, x1, y1 = box
    a = np.float32(alpha)
    pixels = np.asarray(im, dtype=np.uint8).copy()
    region = pixels[y0:y1, x0:x1].astype(np.float32)
    c = np.array(colour, dtype=np.float32)
    mixed = (np.float32(1) - a) * region + a * c + np.float32(0.5)
    pixels[y0:y1, x0:x1] = np.minimum(mixed, np.float32(255)).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def write_ppm(path, im):
    assert im.mode == "RGB"
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % im.size)
        f.write(im.tobytes())


def main():
    with open(sys.argv[1]) as jobs:
        for line in jobs:
            fields = line.rstrip("\n").split("\t")
            if not fields[0]:
                continue
            op, src = fields[0], fields[1]
            im = open_rgb(src)
            if op == "decode":
                out = fields[2]
            elif op == "resize":
                im = im.resize((int(fields[2]), int(fields[3])), Image.BICUBIC)
                out = fields[4]
            elif op == "clip":
                im = clip_preprocess(im, int(fields[2]))
                out = fields[3]
            elif op == "cropclip":
                box = tuple(int(v) for v in fields[2:6])
                im = clip_preprocess(im.crop(box), int(fields[6]))
                out = fields[7]
            elif op == "blendclip":
                box = tuple(int(v) for v in fields[2:6])
                colour = [int(v) for v in fields[6:9]]
                im = clip_preprocess(blend_box(im, box, colour, float(fields[9])),
                                     int(fields[10]))
                out = fields[11]
            elif op == "jpeg":
                im.save(fields[3], "JPEG", quality=int(fields[2]))
                continue
            else:
                raise ValueError("unknown job: " + line)
            write_ppm(out, im)


if __name__ == "__main__":
    main()
