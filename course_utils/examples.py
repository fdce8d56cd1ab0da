"""Demo data for the lessons: small tensors with the shape of real weights."""

from __future__ import annotations

import torch

__all__ = ["SENTENCES", "demo_tensor"]

#: The sentences lessons 5 and 6 embed, so that their cosines compare.
SENTENCES = (
    "The cat sleeps on the warm windowsill.",
    "A kitten naps in the afternoon sun.",
    "Stock markets fell sharply on Monday.",
    "Investors sold shares as prices dropped.",
    "The recipe needs two cups of flour.",
    "Bake the bread for forty minutes.",
    "Quantization stores weights in fewer bits.",
    "Smaller number formats make models lighter.",
)


def demo_tensor(rows: int = 8, cols: int = 32, seed: int = 0) -> torch.Tensor:
    """A small weight-like matrix: rows of different scales and a few outliers.

    Its rows differ in size like the output channels of a real layer, so per-
    channel and per-group quantization visibly beat per-tensor. Lesson 5.

    >>> demo_tensor().shape
    torch.Size([8, 32])
    """
    g = torch.Generator().manual_seed(seed)
    row_scale = torch.logspace(-1.3, 0, rows)[torch.randperm(rows, generator=g)]
    x = torch.randn(rows, cols, generator=g) * row_scale[:, None]
    idx = torch.randint(0, rows * cols, (max(1, rows * cols // 100),), generator=g)
    x.view(-1)[idx] *= 4.0
    return x
