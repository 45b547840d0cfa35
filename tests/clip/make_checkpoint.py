#!/usr/bin/python3
"""Write a random-weight CLIP checkpoint with OpenAI's tensor names in one of the real file formats.

  /usr/bin/python3 tests/clip/make_checkpoint.py --arch vit|rn --format state_dict|openclip|jit|safetensors \
      --out FILE [--seed N] [--fp16 | --fp16-mixed] [--size narrow|full-vit-b32|full-rn50] [shape overrides]

Narrow defaults (see README.md): ViT width 128 (2 heads), 2 layers, patch 16, resolution 48;
RN width 8, layers 2,1,1,1, resolution 96 (attnpool 256 channels, 4 heads); embed dim 32;
text width 64 (1 head), 2 layers, context 77, vocab 49408.
"""

import argparse
import math
import os
import sys
import time
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_reference as cr  # noqa: E402
import ckpt_io  # noqa: E402

SIZES = {
    "narrow": {},
    "full-vit-b32": dict(arch="vit", vision_width=768, vision_layers=12, patch=32, resolution=224,
                         embed_dim=512, text_width=512, text_layers=12),
    "full-rn50": dict(arch="rn", vision_width=64, rn_layers="3,4,6,3", resolution=224,
                      embed_dim=1024, text_width=512, text_layers=12),
}


def make_config(a):
    if a.arch == "vit":
        vw = a.vision_width or 128
        res = a.resolution or 48
        cfg = dict(vision_width=vw, vision_layers=a.vision_layers or 2, vision_patch_size=a.patch or 16,
                   image_resolution=res)
        assert res % cfg["vision_patch_size"] == 0, "resolution must be a multiple of the patch"
        assert vw % 64 == 0, "ViT width must be a multiple of 64 (heads = width // 64)"
    else:
        vw = a.vision_width or 8
        res = a.resolution or 96
        assert res % 32 == 0, "RN resolution must be a multiple of 32"
        assert (vw * 32) % (vw * 32 // 64) == 0 and vw * 32 // 64 >= 1, "RN width must be >= 2"
        cfg = dict(vision_width=vw, vision_layers=tuple(int(x) for x in (a.rn_layers or "2,1,1,1").split(",")),
                   vision_patch_size=None, image_resolution=res)
        assert len(cfg["vision_layers"]) == 4
    tw = a.text_width or 64
    assert tw % 64 == 0, "text width must be a multiple of 64 (heads = width // 64)"
    cfg.update(embed_dim=a.embed_dim or 32, context_length=a.context_length, vocab_size=a.vocab_size,
               transformer_width=tw, transformer_heads=tw // 64, transformer_layers=a.text_layers or 2)
    return cfg


@torch.no_grad()
def random_init(model, seed):
    """Deterministic, realistically scaled random weights; every tensor is non-trivial."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=g) * std + mean)

    is_rn = isinstance(model.visual, cr.ModifiedResNet)
    for name, t in model.state_dict(keep_vars=True).items():
        t = t.data
        short = name.rsplit(".", 1)[-1]
        if name in cr.INT_ENTRIES:
            continue
        if short == "num_batches_tracked":
            t.fill_(0)
        elif name == "logit_scale":
            t.fill_(math.log(1 / 0.07))
        elif name == "token_embedding.weight":
            normal(t, 0.02)
        elif name == "positional_embedding":
            normal(t, 0.01)
        elif name in ("visual.class_embedding", "visual.positional_embedding", "visual.proj",
                      "visual.attnpool.positional_embedding"):
            normal(t, t.shape[-1] ** -0.5 if name != "visual.proj" else t.shape[0] ** -0.5)
        elif name == "text_projection":
            normal(t, t.shape[0] ** -0.5)
        elif short == "running_mean":
            normal(t, 0.1)
        elif short == "running_var":
            t.copy_(torch.rand(t.shape, generator=g) + 0.5)  # U(0.5, 1.5)
        elif t.dim() == 4:  # conv
            fan_in = t.shape[1] * t.shape[2] * t.shape[3]
            normal(t, (2.0 / fan_in) ** 0.5 if is_rn else fan_in ** -0.5)
        elif t.dim() == 2:  # linear / in_proj
            normal(t, t.shape[1] ** -0.5)
        elif short == "weight":  # LayerNorm / BatchNorm scale
            normal(t, 0.1, 1.0)
        elif short in ("bias", "in_proj_bias"):
            normal(t, 0.05 if (".bn" in name or "downsample.1" in name) else 0.02)
        else:
            raise RuntimeError(f"no init rule for {name} {tuple(t.shape)}")


# OpenAI's convert_weights(): conv/linear weights+biases, attention in_proj, proj, text_projection -> fp16;
# LayerNorm, BatchNorm, embeddings, positional/class embeddings, logit_scale stay fp32.
def openai_fp16_names(model):
    names = set()
    for mname, m in model.named_modules():
        pre = mname + "." if mname else ""
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            names.add(pre + "weight")
            if m.bias is not None:
                names.add(pre + "bias")
        if isinstance(m, cr.SelfAttention):
            names.update({pre + "in_proj_weight", pre + "in_proj_bias"})
    names.update({"visual.proj", "text_projection"})
    return names


def cast_sd(sd, mode, fp16_names):
    if mode is None:
        return sd
    out = OrderedDict()
    for k, v in sd.items():
        if torch.is_tensor(v) and v.is_floating_point() and (mode == "all" or k in fp16_names):
            v = v.half()
        out[k] = v
    return out


def with_int_entries(sd, cfg, how):
    sd = OrderedDict((k, v) for k, v in sd.items() if k not in cr.INT_ENTRIES)
    if how == "none":
        return sd
    vals = (cfg["image_resolution"], cfg["context_length"], cfg["vocab_size"])
    ints = OrderedDict((k, torch.tensor(v, dtype=torch.int64) if how == "tensor" else int(v))
                       for k, v in zip(cr.INT_ENTRIES, vals))
    # same place as in OpenAI's jit.state_dict(): right after the top-level parameters
    out = OrderedDict()
    for k, v in sd.items():
        out[k] = v
        if k == "logit_scale":
            out.update(ints)
    return out


def write_jit(model, path, mode, fp16_names, cfg):
    model = model.float().eval()
    b = 2
    img = torch.randn(b, 3, cfg["image_resolution"], cfg["image_resolution"])
    ids = torch.zeros(b, cfg["context_length"], dtype=torch.long)
    ids[:, 0] = 49406 if cfg["vocab_size"] > 49407 else cfg["vocab_size"] - 2
    ids[:, 1] = cfg["vocab_size"] - 1
    with torch.no_grad(), torch.jit.optimized_execution(False):
        traced = torch.jit.trace_module(model, {"forward": (img, ids), "encode_image": (img,),
                                                "encode_text": (ids,)}, check_trace=False)
    if mode is not None:
        with torch.no_grad():
            for name, t in list(traced.named_parameters()) + list(traced.named_buffers()):
                if t.is_floating_point() and (mode == "all" or name in fp16_names):
                    t.data = t.data.half()
    torch.jit.save(traced, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=("vit", "rn"), default="vit")
    p.add_argument("--format", choices=("state_dict", "openclip", "jit", "safetensors"), default="state_dict")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    h = p.add_mutually_exclusive_group()
    h.add_argument("--fp16", action="store_true", help="store every float tensor as float16 (module.half())")
    h.add_argument("--fp16-mixed", action="store_true",
                   help="OpenAI convert_weights(): conv/linear/attn/proj in fp16, LN/BN/embeddings fp32")
    p.add_argument("--size", choices=tuple(SIZES), default="narrow")
    p.add_argument("--int-entries", choices=("tensor", "int", "none"), default=None,
                   help="input_resolution/context_length/vocab_size entries; default: tensor for state_dict, "
                        "none for openclip/safetensors; jit always has them as 0-d int64 buffers")
    # shape overrides (0 = default for the arch)
    p.add_argument("--vision-width", type=int, default=0)
    p.add_argument("--vision-layers", type=int, default=0, help="ViT layers")
    p.add_argument("--rn-layers", default="", help="RN blocks per stage, e.g. 2,1,1,1")
    p.add_argument("--patch", type=int, default=0)
    p.add_argument("--resolution", type=int, default=0)
    p.add_argument("--embed-dim", type=int, default=0)
    p.add_argument("--text-width", type=int, default=0)
    p.add_argument("--text-layers", type=int, default=0)
    p.add_argument("--context-length", type=int, default=77)
    p.add_argument("--vocab-size", type=int, default=49408)
    a = p.parse_args(argv)
    for k, v in SIZES[a.size].items():
        setattr(a, k, v)

    t0 = time.time()
    cfg = make_config(a)
    model = cr.build_model(cfg, int_buffers=(a.format == "jit"))
    random_init(model, a.seed)
    mode = "all" if a.fp16 else ("openai" if a.fp16_mixed else None)
    fp16_names = openai_fp16_names(model)
    sd = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)

    if a.format == "jit":
        write_jit(model, a.out, mode, fp16_names, cfg)
    else:
        ints = a.int_entries or ("tensor" if a.format == "state_dict" else "none")
        sd = with_int_entries(cast_sd(sd, mode, fp16_names), cfg, ints)
        if a.format == "state_dict":
            torch.save(sd, a.out)
        elif a.format == "openclip":
            torch.save({"epoch": 3, "name": f"random-{a.arch}-seed{a.seed}",
                        "state_dict": OrderedDict(("module." + k, v) for k, v in sd.items())}, a.out)
        else:
            if ints == "int":
                sys.exit("safetensors cannot hold Python ints; use --int-entries tensor or none")
            meta = {"format": "pt", "arch": a.arch, "seed": a.seed}
            ckpt_io.write_safetensors(a.out, sd, meta)
    n = sum(v.numel() for v in model.state_dict().values())
    print(f"wrote {a.out}: arch={a.arch} format={a.format} fp16={mode or 'no'} params={n} "
          f"bytes={os.path.getsize(a.out)} cfg={cfg} in {time.time() - t0:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
