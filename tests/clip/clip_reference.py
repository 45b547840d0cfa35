#!/usr/bin/python3
"""Reference implementation of OpenAI CLIP (ViT and modified-ResNet image towers, text tower).

Written from the published architecture (OpenAI CLIP model.py / paper) so that the module
tree -- and therefore every state-dict key -- carries OpenAI's names.  It is the ground
truth the C++ loader is compared against; see README.md in this folder for every tensor
name, shape and the sizing rules.

Differences from OpenAI's code that do not change the mathematics:
  * activations are batch-first [B, L, W] (OpenAI permutes to [L, B, W] around the
    transformer; attention is per-sample either way);
  * LayerNorm computes in float32 for fp16/bf16 inputs (like OpenAI) but in the input
    dtype otherwise, so a float64 model stays float64 end to end;
  * attention is written out explicitly (no nn.MultiheadAttention) but keeps its
    parameter names (in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias).

Only /usr/bin/python3 with torch, numpy and Pillow is needed.
"""

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
INT_ENTRIES = ("input_resolution", "context_length", "vocab_size")
LN_EPS = 1e-5
BN_EPS = 1e-5


# ----------------------------------------------------------------------------- layers

class LayerNorm(nn.LayerNorm):
    """LayerNorm (eps 1e-5) computed in at least float32."""

    def __init__(self, width):
        super().__init__(width, eps=LN_EPS)

    def forward(self, x):
        in_dtype = x.dtype
        work = torch.float32 if in_dtype in (torch.float16, torch.bfloat16) else in_dtype
        y = F.layer_norm(x.to(work), self.normalized_shape, self.weight.to(work),
                         self.bias.to(work), self.eps)
        return y.to(in_dtype)


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class QuickGELU(nn.Module):
    def forward(self, x):
        return quick_gelu(x)


def _attend(q, k, v, heads, mask=None):
    """Scaled dot-product attention. q [B,Lq,W], k/v [B,Lk,W] -> [B,Lq,W]."""
    b, lq, w = q.shape
    lk = k.shape[1]
    hd = w // heads
    q = q.reshape(b, lq, heads, hd).transpose(1, 2)  # [B,H,Lq,hd]
    k = k.reshape(b, lk, heads, hd).transpose(1, 2)
    v = v.reshape(b, lk, heads, hd).transpose(1, 2)
    scores = torch.matmul(q * (hd ** -0.5), k.transpose(-2, -1))  # [B,H,Lq,Lk]
    if mask is not None:
        scores = scores + mask
    probs = torch.softmax(scores, dim=-1)
    out = torch.matmul(probs, v)  # [B,H,Lq,hd]
    return out.transpose(1, 2).reshape(b, lq, w)


class SelfAttention(nn.Module):
    """Multi-head self-attention with nn.MultiheadAttention's parameter names.

    in_proj_weight [3W, W] stacks the q, k, v projections (rows 0:W -> q, W:2W -> k,
    2W:3W -> v); in_proj_bias [3W] likewise; out_proj is a Linear(W, W).
    """

    def __init__(self, width, heads):
        super().__init__()
        assert width % heads == 0, (width, heads)
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask=None):
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.chunk(3, dim=-1)
        return self.out_proj(_attend(q, k, v, self.heads, mask))


class ResidualAttentionBlock(nn.Module):
    """Pre-LN block: x += attn(ln_1(x)); x += mlp(ln_2(x)); mlp = c_fc -> QuickGELU -> c_proj."""

    def __init__(self, width, heads):
        super().__init__()
        # registration order mirrors OpenAI's (attn, ln_1, mlp, ln_2) so state_dict order matches
        self.attn = SelfAttention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(width, 4 * width)),
            ("gelu", QuickGELU()),
            ("c_proj", nn.Linear(4 * width, width)),
        ]))
        self.ln_2 = LayerNorm(width)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x, mask=None):
        for blk in self.resblocks:
            x = blk(x, mask)
        return x


# ----------------------------------------------------------------------------- ViT tower

class VisionTransformer(nn.Module):
    def __init__(self, input_resolution, patch_size, width, layers, heads, output_dim):
        super().__init__()
        assert input_resolution % patch_size == 0
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        grid = input_resolution // patch_size
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(width))
        self.positional_embedding = nn.Parameter(torch.empty(grid * grid + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(torch.empty(width, output_dim))

    def forward(self, x):
        x = self.conv1(x.to(self.conv1.weight.dtype))  # [B, W, g, g]
        b, w = x.shape[0], x.shape[1]
        x = x.reshape(b, w, -1).transpose(1, 2)  # [B, g*g, W], row-major over (gy, gx)
        cls = self.class_embedding.to(x.dtype).reshape(1, 1, w).expand(b, 1, w)
        x = torch.cat([cls, x], dim=1)  # class token first
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = self.transformer(x)
        x = self.ln_post(x[:, 0, :])
        return x @ self.proj


# ----------------------------------------------------------------------------- ResNet tower

def avg_pool(x, k):
    return x if k == 1 else F.avg_pool2d(x, k)  # kernel = stride = k, no padding, floor


class AvgPool(nn.Module):
    """nn.AvgPool2d(k) stand-in (no parameters); k == 1 is the identity."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return avg_pool(x, self.k)


def _bn(x, bn):
    # eval-mode BatchNorm2d (running statistics), eps 1e-5
    return F.batch_norm(x, bn.running_mean.to(x.dtype), bn.running_var.to(x.dtype),
                        bn.weight.to(x.dtype), bn.bias.to(x.dtype), False, 0.0, bn.eps)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.stride = stride
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, eps=BN_EPS)
        self.downsample = None
        if stride > 1 or inplanes != planes * 4:
            # OpenAI names: "-1" = AvgPool2d(stride) (no params), "0" = 1x1 conv, "1" = BN
            self.downsample = nn.Sequential(OrderedDict([
                ("-1", AvgPool(stride)),
                ("0", nn.Conv2d(inplanes, planes * 4, 1, stride=1, bias=False)),
                ("1", nn.BatchNorm2d(planes * 4, eps=BN_EPS)),
            ]))

    def forward(self, x):
        out = F.relu(_bn(self.conv1(x), self.bn1))
        out = F.relu(_bn(self.conv2(out), self.bn2))
        out = avg_pool(out, self.stride)  # anti-aliased stride: pool after the 3x3 conv
        out = _bn(self.conv3(out), self.bn3)
        if self.downsample is not None:
            ds = self.downsample
            identity = _bn(getattr(ds, "0")(avg_pool(x, self.stride)), getattr(ds, "1"))
        else:
            identity = x
        return F.relu(out + identity)


class AttentionPool2d(nn.Module):
    """QKV attention pooling: the query is (mean token + pos[0]); keys/values are all HW+1 tokens."""

    def __init__(self, spacial_dim, embed_dim, num_heads, output_dim):
        super().__init__()
        self.num_heads = num_heads
        self.positional_embedding = nn.Parameter(torch.empty(spacial_dim * spacial_dim + 1, embed_dim))
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim)

    def forward(self, x):
        b, c = x.shape[0], x.shape[1]
        x = x.reshape(b, c, -1).transpose(1, 2)  # [B, HW, C], row-major over (y, x)
        x = torch.cat([x.mean(dim=1, keepdim=True), x], dim=1)  # [B, HW+1, C]
        x = x + self.positional_embedding.to(x.dtype)
        q = self.q_proj(x[:, :1])
        k = self.k_proj(x)
        v = self.v_proj(x)
        out = _attend(q, k, v, self.num_heads)  # [B, 1, C]
        return self.c_proj(out)[:, 0]


class ModifiedResNet(nn.Module):
    def __init__(self, layers, output_dim, heads, input_resolution, width):
        super().__init__()
        assert input_resolution % 32 == 0
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        half = width // 2
        self.conv1 = nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(half, eps=BN_EPS)
        self.conv2 = nn.Conv2d(half, half, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(half, eps=BN_EPS)
        self.conv3 = nn.Conv2d(half, width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width, eps=BN_EPS)
        inplanes = width
        for i, (n, mult, stride) in enumerate(zip(layers, (1, 2, 4, 8), (1, 2, 2, 2))):
            planes = width * mult
            blocks = [Bottleneck(inplanes, planes, stride)]
            inplanes = planes * 4
            blocks += [Bottleneck(inplanes, planes) for _ in range(1, n)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.attnpool = AttentionPool2d(input_resolution // 32, width * 32, heads, output_dim)

    def forward(self, x):
        x = x.to(self.conv1.weight.dtype)
        x = F.relu(_bn(self.conv1(x), self.bn1))
        x = F.relu(_bn(self.conv2(x), self.bn2))
        x = F.relu(_bn(self.conv3(x), self.bn3))
        x = avg_pool(x, 2)
        for name in ("layer1", "layer2", "layer3", "layer4"):
            x = getattr(self, name)(x)
        return self.attnpool(x)


# ----------------------------------------------------------------------------- CLIP

class CLIP(nn.Module):
    def __init__(self, embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size,
                 context_length, vocab_size, transformer_width, transformer_heads, transformer_layers,
                 int_buffers=False):
        super().__init__()
        self.config = dict(embed_dim=embed_dim, image_resolution=image_resolution,
                           vision_layers=vision_layers, vision_width=vision_width,
                           vision_patch_size=vision_patch_size, context_length=context_length,
                           vocab_size=vocab_size, transformer_width=transformer_width,
                           transformer_heads=transformer_heads, transformer_layers=transformer_layers)
        # own parameters first: state_dict() lists them before the children, as OpenAI's does
        self.positional_embedding = nn.Parameter(torch.empty(context_length, transformer_width))
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        if int_buffers:
            # OpenAI's TorchScript archives carry these as 0-d tensors (model.input_resolution.item())
            for name, val in zip(INT_ENTRIES, (image_resolution, context_length, vocab_size)):
                self.register_buffer(name, torch.tensor(val, dtype=torch.int64))
        if isinstance(vision_layers, (tuple, list)):
            self.visual = ModifiedResNet(tuple(vision_layers), embed_dim, vision_width * 32 // 64,
                                         image_resolution, vision_width)
        else:
            self.visual = VisionTransformer(image_resolution, vision_patch_size, vision_width,
                                            vision_layers, vision_width // 64, embed_dim)
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads)
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.ln_final = LayerNorm(transformer_width)

    @property
    def dtype(self):
        return self.visual.conv1.weight.dtype

    def encode_image(self, images):
        """images: [B,3,R,R], already CLIP-normalised -> [B, embed_dim] (not L2-normalised)."""
        return self.visual(images.to(self.dtype))

    def encode_text(self, ids):
        """ids: int [B, context_length]; the end token (49407) is the largest id of each row."""
        ids = ids.long()
        x = self.token_embedding(ids).to(self.dtype)
        x = x + self.positional_embedding.to(x.dtype)
        n = x.shape[1]
        mask = torch.full((n, n), float("-inf"), dtype=x.dtype, device=x.device).triu(1)
        x = self.transformer(x, mask)
        x = self.ln_final(x)
        eot = ids.argmax(dim=-1)  # first position of the maximum id
        x = x[torch.arange(x.shape[0]), eot]
        return x @ self.text_projection.to(x.dtype)

    def forward(self, images, ids):
        return self.encode_image(images), self.encode_text(ids)


# ----------------------------------------------------------------------------- sizing / loading

def config_from_state_dict(sd):
    """OpenAI build_model's rules for reading the architecture from tensor shapes."""
    vit = "visual.proj" in sd
    cfg = {}
    if vit:
        w = sd["visual.conv1.weight"]
        cfg["vision_width"] = w.shape[0]
        cfg["vision_layers"] = len([k for k in sd if k.startswith("visual.") and k.endswith(".attn.in_proj_weight")])
        cfg["vision_patch_size"] = w.shape[-1]
        grid = round((sd["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        cfg["image_resolution"] = cfg["vision_patch_size"] * grid
    else:
        counts = [len(set(k.split(".")[2] for k in sd if k.startswith(f"visual.layer{b}"))) for b in (1, 2, 3, 4)]
        cfg["vision_layers"] = tuple(counts)
        cfg["vision_width"] = sd["visual.layer1.0.conv1.weight"].shape[0]
        rows = sd["visual.attnpool.positional_embedding"].shape[0]
        out_w = round((rows - 1) ** 0.5)
        assert out_w * out_w + 1 == rows
        cfg["vision_patch_size"] = None
        cfg["image_resolution"] = out_w * 32
    cfg["embed_dim"] = sd["text_projection"].shape[1]
    cfg["context_length"] = sd["positional_embedding"].shape[0]
    cfg["vocab_size"] = sd["token_embedding.weight"].shape[0]
    cfg["transformer_width"] = sd["ln_final.weight"].shape[0]
    cfg["transformer_heads"] = cfg["transformer_width"] // 64
    cfg["transformer_layers"] = len(set(k.split(".")[2] for k in sd if k.startswith("transformer.resblocks")))
    return cfg


def build_model(cfg, int_buffers=False):
    return CLIP(cfg["embed_dim"], cfg["image_resolution"], cfg["vision_layers"], cfg["vision_width"],
                cfg["vision_patch_size"], cfg["context_length"], cfg["vocab_size"],
                cfg["transformer_width"], cfg["transformer_heads"], cfg["transformer_layers"],
                int_buffers=int_buffers)


def build_from_state_dict(sd, dtype=torch.float32):
    """Build the model from an OpenAI-named state dict (strict load); int entries are dropped."""
    sd = {k: v for k, v in sd.items() if k not in INT_ENTRIES}
    model = build_model(config_from_state_dict(sd))
    model.load_state_dict(sd, strict=True)
    return model.to(dtype).eval()  # .to(dtype) leaves the int64 num_batches_tracked alone


# module-level helpers for callers that keep one model around
_MODEL = None


def set_model(model):
    global _MODEL
    _MODEL = model


@torch.no_grad()
def encode_image(images, model=None):
    model = model or _MODEL
    return model.encode_image(torch.as_tensor(images))


@torch.no_grad()
def encode_text(ids, model=None):
    model = model or _MODEL
    return model.encode_text(torch.as_tensor(ids))


# ----------------------------------------------------------------------------- preprocessing

def _bicubic():
    from PIL import Image
    return getattr(Image, "Resampling", Image).BICUBIC


def resized_size(w, h, size):
    """torchvision Resize(int): shorter side -> size, longer -> int(size * long / short)."""
    if w <= h:
        return size, int(size * h / w)
    return int(size * w / h), size


def center_crop_box(w, h, crop):
    """torchvision CenterCrop offsets; Python round() is round-half-to-even."""
    top = int(round((h - crop) / 2.0))
    left = int(round((w - crop) / 2.0))
    return left, top, left + crop, top + crop


def preprocess_pil(img, resolution, convert_first=False):
    """CLIP's transform: Resize(res, BICUBIC) -> CenterCrop(res) -> convert("RGB") -> ToTensor -> Normalize.

    OpenAI's order converts to RGB *after* resize and crop.  For RGB and L images the two
    orders give identical pixels; for P (palette, resized NEAREST by Pillow), RGBA/LA
    (resized premultiplied) and other modes they differ.  convert_first=True converts first.
    """
    import numpy as np
    if convert_first:
        img = img.convert("RGB")
    w, h = img.size
    nw, nh = resized_size(w, h, resolution)
    img = img.resize((nw, nh), _bicubic())
    img = img.crop(center_crop_box(nw, nh, resolution))
    img = img.convert("RGB")
    a = torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1)
    x = a.to(torch.float32).div(255)  # ToTensor
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float32).view(3, 1, 1)
    return (x - mean) / std  # Normalize, in float32


def preprocess(path, resolution, convert_first=False):
    """Load an image file and return the CLIP-normalised float32 tensor [3, R, R]."""
    from PIL import Image
    with Image.open(path) as img:
        img.load()
        return preprocess_pil(img, resolution, convert_first)
