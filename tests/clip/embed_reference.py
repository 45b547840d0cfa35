#!/usr/bin/python3
"""Ground-truth CLIP embeddings (float64) for a checkpoint in any of the four formats.

  /usr/bin/python3 tests/clip/embed_reference.py --checkpoint F
      [--vocab-ids '[[49406, 320, 49407], ...]' | --ids-file IDS.json] [--image A.png B.jpg ...]
      [--dtype float64|float32] [--convert-first] [--pixels-out PIXELS.f32] [--out OUT.json]

Prints JSON {"text": [[...]], "image": [[...]], ...}: projected, *unnormalised* features
(encode_text / encode_image).  Token ids are given by the caller (the tokenizer is tested
separately); each row is zero-padded to the context length (77), as clip.tokenize does.
The checkpoint is cast to float32 first (fp16 files are widened exactly), then the model
runs in float64 unless --dtype float32.  --pixels-out writes the preprocessed images as
raw little-endian float32 [N, 3, R, R] (what encode_image received, before the float64 cast).
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_reference as cr  # noqa: E402
import ckpt_io  # noqa: E402


def load_model(path, dtype=torch.float64):
    sd, fmt = ckpt_io.load_any(path)
    sd = ckpt_io.to_fp32(sd)
    return cr.build_from_state_dict(sd, dtype), fmt


def pad_ids(rows, context_length):
    out = torch.zeros(len(rows), context_length, dtype=torch.long)
    for i, r in enumerate(rows):
        if len(r) > context_length:
            raise SystemExit(f"row {i} has {len(r)} ids > context length {context_length}")
        out[i, :len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--vocab-ids", help="JSON list of id lists")
    g.add_argument("--ids-file", help="file holding a JSON list of id lists")
    p.add_argument("--image", nargs="*", default=[])
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--convert-first", action="store_true",
                   help="convert('RGB') before resizing (OpenAI converts after the crop)")
    p.add_argument("--pixels-out", help="write preprocessed images as raw float32 [N,3,R,R]")
    p.add_argument("--out", help="write the JSON here instead of stdout")
    a = p.parse_args(argv)

    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    model, fmt = load_model(a.checkpoint, dtype)
    cfg = model.config
    res = {"format": fmt, "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
           "logit_scale": float(model.logit_scale), "text": [], "image": []}

    rows = None
    if a.vocab_ids:
        rows = json.loads(a.vocab_ids)
    elif a.ids_file:
        with open(a.ids_file) as f:
            rows = json.load(f)
    with torch.no_grad():
        if rows:
            ids = pad_ids(rows, cfg["context_length"])
            res["text"] = model.encode_text(ids).tolist()
        if a.image:
            px = torch.stack([cr.preprocess(f, cfg["image_resolution"], a.convert_first) for f in a.image])
            if a.pixels_out:
                px.numpy().astype("<f4").tofile(a.pixels_out)
            res["image"] = model.encode_image(px.to(dtype)).tolist()
    text = json.dumps(res)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
