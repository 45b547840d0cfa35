#!/usr/bin/env python3
"""Exports a tiny TorchScript dual encoder with the interface `torchscript:PATH` needs
(experiments/models/torchscript_model.h), as a test fixture.

Usage: export_tiny_torchscript.py OUT.pt [--broken]
  --broken  omit encode_text_from_embeddings (to test the error naming the method)

Weights are random (seeded); the tests check shapes, gradients and the CoOp path, not
accuracy. Runs with Debian's python3-torch (same LibTorch 1.13 as the C++ build).
"""
import sys
from typing import List

import torch
from torch import nn

# Every word the methods' prompts use on Fashion-MNIST (unknown words are an error, not [UNK]).
WORDS = ["[PAD]", "[SOS]", "[EOS]", "[MASK]", "[UNK]", "a", "photo", "of", "the", "bag",
         "sneaker", "shirt", "is", "in", "red", "color", "x", "t-shirt", "trousers", "pullover",
         "dress", "coat", "sandal", "boot"]


class TinyDual(nn.Module):
    def __init__(self):
        super().__init__()
        self.image_size = 32
        self.context_length = 8
        self.words = WORDS
        width, dim = 16, 12
        self.visual = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(8, width, 3, stride=2, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, dim))
        self.token = nn.Embedding(len(WORDS), width)
        self.pos = nn.Parameter(torch.randn(self.context_length, width) * 0.01)
        self.text_mlp = nn.Sequential(nn.Linear(width, width), nn.GELU())
        self.text_proj = nn.Linear(width, dim)
        self.logit_scale = nn.Parameter(torch.tensor(2.0))

    @torch.jit.export
    def vocabulary(self) -> List[str]:
        return self.words

    @torch.jit.export
    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return self.visual((images - 0.5) * 4.0)

    @torch.jit.export
    def token_embedding(self, ids: torch.Tensor) -> torch.Tensor:
        return self.token(ids)

    @torch.jit.export
    def encode_text_from_embeddings(self, embeds: torch.Tensor,
                                    eos_index: torch.Tensor) -> torch.Tensor:
        x = self.text_mlp(embeds + self.pos[: embeds.size(1)])
        # causal mean pooling up to [EOS]: position t sees tokens 0..t
        x = x.cumsum(1) / torch.arange(1, x.size(1) + 1, dtype=x.dtype).view(1, -1, 1)
        rows = torch.arange(x.size(0))
        return self.text_proj(x[rows, eos_index])

    @torch.jit.export
    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        eos = (ids == 2).int().argmax(1)
        return self.encode_text_from_embeddings(self.token_embedding(ids), eos)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.encode_image(images)


def main() -> None:
    torch.manual_seed(0)
    out = sys.argv[1]
    model = TinyDual()
    if "--broken" in sys.argv[2:]:
        # A module with every method but encode_text_from_embeddings.
        class NoSplice(nn.Module):
            def __init__(self, inner: TinyDual):
                super().__init__()
                self.inner = inner
                self.image_size = inner.image_size
                self.context_length = inner.context_length
                self.words = WORDS

            @torch.jit.export
            def vocabulary(self) -> List[str]:
                return self.words

            @torch.jit.export
            def encode_image(self, images: torch.Tensor) -> torch.Tensor:
                return self.inner.encode_image(images)

            @torch.jit.export
            def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
                return self.inner.encode_text(ids)

            @torch.jit.export
            def token_embedding(self, ids: torch.Tensor) -> torch.Tensor:
                return self.inner.token_embedding(ids)

            def forward(self, images: torch.Tensor) -> torch.Tensor:
                return self.inner.encode_image(images)

        model = NoSplice(model)
    torch.jit.script(model).save(out)


if __name__ == "__main__":
    main()
