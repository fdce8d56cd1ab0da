"""A tiny model built in code, small enough to read every weight (Lesson 4)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["TinyModel", "build_tiny_model"]


class TinyModel(nn.Module):
    """A very small model (320 parameters) to look inside, built in code.

    Lesson 4. An embedding table, a linear layer, GELU, LayerNorm, and a linear
    head without bias: 10*8 + (8*16 + 16) + (16 + 16) + 16*4 = 320 parameters.
    """

    def __init__(self, vocab_size: int = 10, dim: int = 8, hidden: int = 16,
                 n_out: int = 4) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.linear = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, n_out, bias=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Map token ids ``(batch, seq)`` to outputs ``(batch, seq, n_out)``."""
        return self.head(self.norm(self.act(self.linear(self.embedding(input_ids)))))


def build_tiny_model(seed: int = 0) -> TinyModel:
    """A :class:`TinyModel` with reproducible random weights, in float32.

    Lesson 4.

    >>> from course_utils.models import memory_footprint
    >>> model = build_tiny_model()
    >>> sum(p.numel() for p in model.parameters()), memory_footprint(model)
    (320, 1280)
    """
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = TinyModel()
    finally:
        torch.random.set_rng_state(gen_state)
    return model.eval()
