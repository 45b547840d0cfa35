#!/usr/bin/python3
"""Checkpoint I/O for the CLIP reference: the four on-disk formats, written and read without pip packages.

Formats (see README.md):
  state_dict   torch.save(OrderedDict name -> tensor), OpenAI names, plus the 0-d int64 entries
               input_resolution / context_length / vocab_size (what OpenAI's jit.state_dict() holds)
  openclip     torch.save({"epoch": 3, "name": ..., "state_dict": {"module." + name: tensor}})
  jit          TorchScript archive (torch.jit.save) whose state_dict() keys are the OpenAI names
  safetensors  8-byte LE header length N, N bytes of JSON (space padded to a multiple of 8),
               then the raw little-endian tensor bytes; offsets are relative to the data start
"""

import json
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import torch

_ST_DTYPES = {
    torch.float32: ("F32", np.float32),
    torch.float16: ("F16", np.float16),
    torch.float64: ("F64", np.float64),
    torch.int64: ("I64", np.int64),
    torch.int32: ("I32", np.int32),
    torch.uint8: ("U8", np.uint8),
}
_ST_BY_NAME = {name: (dt, npdt) for dt, (name, npdt) in _ST_DTYPES.items()}


# ----------------------------------------------------------------------------- safetensors

def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered mapping name -> torch tensor (written in that order, contiguous, no gaps)."""
    header = OrderedDict()
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        code, npdt = _ST_DTYPES[t.dtype]
        raw = t.numpy().astype(np.dtype(npdt).newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-(8 + len(hjson))) % 8)  # pad so the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """Returns (OrderedDict name -> tensor in stored dtype, metadata dict)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = OrderedDict()
    for name, info in header.items():
        dt, npdt = _ST_BY_NAME[info["dtype"]]
        b, e = info["data_offsets"]
        arr = np.frombuffer(buf, dtype=np.dtype(npdt).newbyteorder("<"), count=(e - b) // np.dtype(npdt).itemsize,
                            offset=base + b)
        out[name] = torch.from_numpy(arr.astype(npdt).reshape(info["shape"]).copy())
        assert out[name].dtype == dt
    return out, meta


def is_safetensors(path):
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 9 or head[:4] == b"PK\x03\x04":
        return False
    return head[8:9] == b"{"


def is_torchscript(path):
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    # TorchScript archives carry code/ (and constants.pkl); plain torch.save archives do not
    return any(n.split("/", 1)[-1].startswith("code/") for n in names) or \
        any(n.endswith("/constants.pkl") for n in names)


# ----------------------------------------------------------------------------- any format -> state dict

def load_any(path):
    """Load any of the four formats; returns (OrderedDict of OpenAI-named tensors in stored dtypes, fmt)."""
    if is_safetensors(path):
        sd, _ = read_safetensors(path)
        fmt = "safetensors"
    elif is_torchscript(path):
        sd = OrderedDict((k, v.detach().clone()) for k, v in torch.jit.load(path, map_location="cpu").state_dict().items())
        fmt = "jit"
    else:
        obj = torch.load(path, map_location="cpu")
        fmt = "state_dict"
        if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
            obj = obj["state_dict"]
            fmt = "openclip"
        sd = OrderedDict()
        for k, v in obj.items():
            if k.startswith("module."):
                k = k[len("module."):]
            sd[k] = v
    return sd, fmt


def to_fp32(sd):
    """Float tensors -> float32; ints (num_batches_tracked, int entries) kept; Python ints -> 0-d int64."""
    out = OrderedDict()
    for k, v in sd.items():
        if not torch.is_tensor(v):
            v = torch.tensor(v, dtype=torch.int64)
        out[k] = v.float() if v.is_floating_point() else v
    return out
