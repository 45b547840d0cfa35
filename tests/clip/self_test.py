#!/usr/bin/python3
"""Sanity checks for the CLIP reference, checkpoint writers and loaders.

  /usr/bin/python3 tests/clip/self_test.py [--keep DIR]

Optional: CLIP_OPENAI_MODEL_PY=/path/to/openai/clip/model.py additionally compares the
reference against OpenAI's own build_model() in float64 (fp16 conversion disabled).
Exits non-zero on the first failure.
"""

import argparse
import importlib.util
import io
import json
import os
import struct
import sys
import tempfile
import time
from contextlib import redirect_stdout

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_reference as cr  # noqa: E402
import ckpt_io  # noqa: E402
import embed_reference  # noqa: E402
import make_checkpoint  # noqa: E402

FORMATS = ("state_dict", "openclip", "jit", "safetensors")
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)


def make(out, arch, fmt, *extra):
    make_checkpoint.main(["--arch", arch, "--format", fmt, "--out", out, "--seed", "7", *extra])


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def sample_ids(b=3, ctx=77):
    g = torch.Generator().manual_seed(3)
    ids = torch.zeros(b, ctx, dtype=torch.long)
    for i, n in enumerate((0, 7, ctx - 2)[:b]):
        ids[i, 0] = 49406
        ids[i, 1:1 + n] = torch.randint(1, 49400, (n,), generator=g)
        ids[i, 1 + n] = 49407
    return ids


def test_arch(arch, d):
    paths = {f: os.path.join(d, f"{arch}.{f}") for f in FORMATS}
    for f, pth in paths.items():
        make(pth, arch, f)
    ref, fmt = ckpt_io.load_any(paths["state_dict"])
    check(fmt == "state_dict", f"{arch}: state_dict detected")
    check(all(k in ref and ref[k].dtype == torch.int64 and ref[k].dim() == 0 for k in cr.INT_ENTRIES),
          f"{arch}: state_dict carries 0-d int64 {cr.INT_ENTRIES}")
    weights = {k: v for k, v in ref.items() if k not in cr.INT_ENTRIES}
    check(all(v.dtype == torch.float32 for k, v in weights.items() if not k.endswith("num_batches_tracked")),
          f"{arch}: fp32 weights")

    # every format round-trips to identical fp32 weights, same names
    for f in FORMATS[1:]:
        sd, got = ckpt_io.load_any(paths[f])
        check(got == f, f"{arch}: {f} detected as {got}")
        w = {k: v for k, v in sd.items() if k not in cr.INT_ENTRIES}
        check(list(w) == list(weights), f"{arch}: {f} keys == state_dict keys (minus int entries), same order")
        check(all(same(w[k], weights[k]) for k in weights), f"{arch}: {f} tensors bit-identical")
    jit = torch.jit.load(paths["jit"])
    jsd = jit.state_dict()
    check(list(jsd) == list(ref), f"{arch}: jit.state_dict() keys == state_dict format keys (incl. int entries)")
    check(all(int(jsd[k]) == int(ref[k]) for k in cr.INT_ENTRIES), f"{arch}: jit int entries equal")
    check(int(jit.input_resolution) == int(ref["input_resolution"]), f"{arch}: jit.input_resolution attribute")

    # safetensors layout
    with open(paths["safetensors"], "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        hdr = json.loads(fh.read(n))
        data_len = len(fh.read())
    check((8 + n) % 8 == 0, f"{arch}: safetensors data section 8-byte aligned")
    offs = sorted(tuple(v["data_offsets"]) for k, v in hdr.items() if k != "__metadata__")
    check(offs[0][0] == 0 and offs[-1][1] == data_len and all(a[1] == b[0] for a, b in zip(offs, offs[1:])),
          f"{arch}: safetensors offsets contiguous and cover the data")

    # fp16 variants: all-half and OpenAI's mixed convert_weights()
    for flag in ("--fp16", "--fp16-mixed"):
        mixed = flag == "--fp16-mixed"
        for f in FORMATS:
            pth = os.path.join(d, f"{arch}.{f}{flag}")
            make(pth, arch, f, flag)
            sd, _ = ckpt_io.load_any(pth)
            ok = True
            for k, v in weights.items():
                if not v.is_floating_point():
                    ok &= same(sd[k], v)
                    continue
                want_half = (not mixed) or (k in ("visual.proj", "text_projection")) or \
                    (v.dim() >= 2 and "embedding" not in k) or k.endswith(("in_proj_bias",)) or \
                    (k.endswith(".bias") and not any(s in k for s in ("ln_", "bn", "downsample.1", "ln_final")))
                exp = v.half() if want_half else v
                ok &= same(sd[k], exp)
            check(ok, f"{arch}: {f} {flag} tensors == fp32 weights cast as expected")
            if f == "jit":
                check(list(torch.jit.load(pth).state_dict()) == list(ref), f"{arch}: jit {flag} keys")
            if mixed and f == "state_dict":
                check(sd["ln_final.weight"].dtype == torch.float32 and sd["token_embedding.weight"].dtype == torch.float32
                      and sd["text_projection"].dtype == torch.float16, f"{arch}: mixed fp16 keeps LN/embeddings fp32")

    # sizing rules recover the generating config
    cfg = cr.config_from_state_dict(weights)
    want = make_checkpoint.make_config(argparse.Namespace(
        arch=arch, vision_width=0, vision_layers=0, rn_layers="", patch=0, resolution=0, embed_dim=0,
        text_width=0, text_layers=0, context_length=77, vocab_size=49408))
    check(cfg == want, f"{arch}: config_from_state_dict == generating config {cfg}")

    # the model runs; fp32 close to fp64; traced jit agrees
    m64 = cr.build_from_state_dict(ref, torch.float64)
    m32 = cr.build_from_state_dict(ref, torch.float32)
    r = cfg["image_resolution"]
    img = torch.randn(2, 3, r, r, generator=torch.Generator().manual_seed(5))
    ids = sample_ids()
    with torch.no_grad():
        i64, t64 = m64.encode_image(img.double()), m64.encode_text(ids)
        i32, t32 = m32.encode_image(img), m32.encode_text(ids)
        ji, jt = jit.encode_image(img), jit.encode_text(ids)
    check(i64.shape == (2, cfg["embed_dim"]) and t64.shape == (3, cfg["embed_dim"]), f"{arch}: output shapes")
    check(bool(torch.isfinite(i64).all() and torch.isfinite(t64).all()), f"{arch}: outputs finite")
    rel = lambda a, b: float((a.double() - b).abs().max() / b.abs().max())  # noqa: E731
    check(rel(i32, i64) < 1e-5 and rel(t32, t64) < 1e-5, f"{arch}: fp32 vs fp64 rel {rel(i32, i64):.1e} {rel(t32, t64):.1e}")
    check(rel(ji, i64) < 1e-5 and rel(jt, t64) < 1e-5, f"{arch}: traced jit vs fp64 rel {rel(ji, i64):.1e} {rel(jt, t64):.1e}")
    check(float(t64.norm(dim=1).min()) > 0.1 and float(i64.norm(dim=1).min()) > 0.1, f"{arch}: features not degenerate")
    # text features are taken at the argmax (end token) position: later tokens must not matter
    ids2 = ids.clone()
    ids2[1, 20:] = 1234
    with torch.no_grad():
        check(torch.equal(m64.encode_text(ids2)[1], t64[1]), f"{arch}: causal mask / eot pooling")

    # optional: against OpenAI's own model.py
    oai = os.environ.get("CLIP_OPENAI_MODEL_PY")
    if oai:
        spec = importlib.util.spec_from_file_location("oai_model", oai)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.LayerNorm.forward = torch.nn.LayerNorm.forward  # no fp32 cast, so float64 stays float64
        mod.convert_weights = lambda m: None
        om = mod.build_model(dict(ref)).double().eval()
        with torch.no_grad():
            oi, ot = om.encode_image(img.double()), om.encode_text(ids)
        check(rel(oi, i64) < 1e-12 and rel(ot, t64) < 1e-12,
              f"{arch}: OpenAI model.py vs reference (fp64) rel {rel(oi, i64):.1e} {rel(ot, t64):.1e}")

    # embed_reference end to end on every format (identical output)
    from PIL import Image
    rng = np.random.default_rng(1)
    imgs = []
    for j, (h, w) in enumerate(((70, 101), (130, 64))):
        p = os.path.join(d, f"img{j}.png")
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(p)
        imgs.append(p)
    outs = []
    for f in FORMATS:
        buf = io.StringIO()
        with redirect_stdout(buf):
            embed_reference.main(["--checkpoint", paths[f], "--vocab-ids", "[[49406, 320, 1125, 49407], [49406, 49407]]",
                                  "--image", *imgs])
        o = json.loads(buf.getvalue())
        outs.append((o["text"], o["image"]))
    check(len(outs[0][0]) == 2 and len(outs[0][1]) == 2 and len(outs[0][0][0]) == cfg["embed_dim"],
          f"{arch}: embed_reference output shapes")
    check(all(o == outs[0] for o in outs), f"{arch}: embed_reference identical across formats")


def test_preprocess(d):
    from PIL import Image
    check(cr.resized_size(101, 70, 48) == (69, 48) and cr.resized_size(64, 130, 48) == (48, 97),
          "resize: shorter side -> res, longer truncated")
    # (h - crop) / 2 = 0.5 and 1.5: round half to even -> 0 and 2
    check(cr.center_crop_box(49, 49, 48) == (0, 0, 48, 48) and cr.center_crop_box(51, 48, 48) == (2, 0, 50, 48),
          "center crop uses round-half-even")
    p = os.path.join(d, "grey.png")
    Image.fromarray(np.full((20, 30), 128, dtype=np.uint8)).save(p)
    x = cr.preprocess(p, 16)
    want = (torch.tensor(128 / 255) - torch.tensor(cr.CLIP_MEAN)) / torch.tensor(cr.CLIP_STD)
    check(x.shape == (3, 16, 16) and x.dtype == torch.float32 and torch.allclose(x[:, 5, 5], want),
          "preprocess: grey image -> normalised constant")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="write the checkpoints here and keep them")
    a = ap.parse_args()
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        d = a.keep or tmp
        os.makedirs(d, exist_ok=True)
        test_preprocess(d)
        for arch in ("vit", "rn"):
            test_arch(arch, d)
    print(f"{'FAILED ' + str(len(failures)) if failures else 'all passed'} in {time.time() - t0:.1f}s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
