"""NF4: QLoRA's 4-bit NormalFloat codebook, absmax per block, double quantization.

Lesson 6: Block-scaled formats. NF4 (Dettmers et al., "QLoRA", 2023) stores each
value as the index (0-15) of the nearest of 16 fixed levels in [-1, 1], spaced
like the quantiles of a normal distribution (:data:`NF4_CODEBOOK`, the exact
values the paper's appendix lists and bitsandbytes' ``get_4bit_type("nf4")``),
after dividing a block of 64 values by its absmax:

- ``y = x / absmax`` (float32 division, as torchao's ``NF4Tensor``);
- ``code`` = the nearest level; a value exactly halfway goes to the lower code
  (bitsandbytes' decision tree and torchao's ``argmin`` do the same);
- ``x_hat = NF4_CODEBOOK[code] * absmax``.

Double quantization (QLoRA, section 3): the absmax values themselves are
quantized to 8 bits in groups of 256, after subtracting their mean. As torchao's
``NF4Tensor`` (0.18) does, that second level is linear int8: ``c = absmax - mean``,
``factor = 128 / max|c|`` per group (float32), ``q = clamp(round(c * factor),
-128, 127)``, ``absmax_hat = q / factor + mean``. (bitsandbytes stores the second
level with its 8-bit dynamic-exponent map instead.) Elements are still coded with
the exact absmax; only their dequantization uses ``absmax_hat``.

Edge cases: an all-zero block has ``absmax = 0`` and codes 7 (the level 0.0), so
it dequantizes to exactly 0 with or without double quantization (torchao computes
0/0 and stores code 0, the level -1.0). A group whose absmax values all equal the
mean gets ``factor = 1`` (torchao: inf, then NaN). The last group may hold fewer
than 256 scales. NaN or inf in ``x`` is a ValueError. With double quantization a
block whose absmax is far below the largest of its group (by more than about
1/128 of the group's spread) can get ``absmax_hat <= 0``: it dequantizes to 0 or
with flipped signs. That is the scheme (torchao does the same), not a bug; real
weights have absmax values of one magnitude.

>>> bq = nf4_quantize(torch.tensor([[0.5, -1.0, 0.25, 0.0] * 16]))
>>> bq.codes[0, :4].tolist(), bq.scales.tolist()
([12, 0, 10, 7], [[1.0]])
>>> bq.dequantize()[0, :4]
tensor([ 0.4407, -1.0000,  0.2461,  0.0000])
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_utils.blocks._checks import (
    as_blocks,
    block_amax,
    check_block_size,
    check_finite,
    chunks,
)
from course_utils.blocks.container import DEQUANTIZERS, BlockQuantized

__all__ = ["NF4_CODEBOOK", "nf4_codes", "nf4_dequantize", "nf4_quantize"]

#: The 16 NF4 levels, index = code (QLoRA's appendix; bitsandbytes functional.py).
NF4_CODEBOOK = (
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
    0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0,
)


def _midpoints() -> Tensor:
    """Float32 midpoints, each the largest float32 <= the exact midpoint."""
    levels = torch.tensor(NF4_CODEBOOK, dtype=torch.float64)
    exact = (levels[:-1] + levels[1:]) / 2          # exact in float64
    mid = exact.to(torch.float32)
    below = torch.nextafter(mid, torch.tensor(-1.0))
    return torch.where(mid.to(torch.float64) > exact, below, mid)


_MIDPOINTS = _midpoints()
_LEVELS = torch.tensor(NF4_CODEBOOK, dtype=torch.float32)


def nf4_codes(y: Tensor) -> Tensor:
    """Code (uint8, 0-15) of the level nearest each float32 ``y`` in [-1, 1].

    Lesson 6. ``y > midpoint`` counts exactly against the exact midpoints, so a
    value exactly halfway between two levels gets the lower code.

    >>> nf4_codes(torch.tensor([-1.0, -0.01, 0.03, 0.6, 2.0])).tolist()
    [0, 7, 7, 13, 15]
    """
    return torch.bucketize(y, _MIDPOINTS, out_int32=True).to(torch.uint8)


def _double_quantize(absmax: Tensor, group: int) -> tuple[Tensor, Tensor, Tensor]:
    """int8 codes of ``absmax - mean``, float32 factor per group, the mean."""
    mean = absmax.mean()
    c = absmax - mean
    pad = (-c.numel()) % group
    groups = torch.cat([c, c.new_zeros(pad)]).view(-1, group)
    a2 = groups.abs().amax(dim=1)
    factor = torch.where(a2 == 0, 1.0, 256 / (2 * a2))   # torchao's expression
    q = torch.round(groups * factor[:, None]).clamp_(min=-128, max=127).to(torch.int8)
    return q.reshape(-1)[: c.numel()], factor, mean


def nf4_quantize(x: Tensor, block_size: int = 64, double_quant: bool = False,
                 scale_block_size: int = 256) -> BlockQuantized:
    """Quantize ``x`` to NF4 along its last axis (Lesson 6).

    Args:
        x: float32, bfloat16 or float16, finite; the last dimension a multiple of
            ``block_size``.
        block_size: values per absmax (64 in QLoRA).
        double_quant: also quantize the absmax values (int8, groups of
            ``scale_block_size`` consecutive blocks in row-major order).
        scale_block_size: absmax values per second-level scale (256 in QLoRA).

    Returns:
        A :class:`BlockQuantized`: codes 0-15, and ``scales`` float32 absmax, or
        with ``double_quant`` int8 codes plus ``scale_factor`` and ``scale_mean``.

    >>> x = torch.linspace(-2, 2, 64 * 256).reshape(4, -1)
    >>> [round(nf4_quantize(x, double_quant=d).bits_per_value(), 4)
    ...  for d in (False, True)]
    [4.5, 4.1289]
    """
    block_size = check_block_size(block_size)
    scale_block_size = check_block_size(scale_block_size, "scale_block_size")
    if not isinstance(double_quant, bool):
        raise TypeError(f"double_quant must be a bool, got {double_quant!r}")
    xb = as_blocks(x, block_size)
    check_finite(xb, "nf4")
    absmax = block_amax(xb)
    divisor = torch.where(absmax == 0, 1.0, absmax)
    codes = torch.empty(xb.shape, dtype=torch.uint8)
    for rows in chunks(xb.shape[0], block_size):
        codes[rows] = nf4_codes(xb[rows] / divisor[rows, None])
    scale_shape = (*x.shape[:-1], x.shape[-1] // block_size)
    common = dict(codes=codes.reshape(x.shape), scheme="nf4", fmt="nf4",
                  block_size=block_size, dtype=x.dtype)
    if not double_quant:
        return BlockQuantized(scales=absmax.reshape(scale_shape), scale_fmt="fp32",
                              **common)
    q, factor, mean = _double_quantize(absmax, scale_block_size)
    return BlockQuantized(scales=q.reshape(scale_shape), scale_fmt="int8",
                          scale_factor=factor, scale_mean=mean,
                          scale_block_size=scale_block_size, **common)


def nf4_absmax(bq: BlockQuantized) -> Tensor:
    """The absmax each block dequantizes with (``absmax_hat`` if double-quantized).

    Lesson 6.

    >>> bq = nf4_quantize(torch.ones(1, 64) * 3, double_quant=True)
    >>> nf4_absmax(bq)
    tensor([3.])
    """
    if bq.scale_factor is None:
        return bq.scales.reshape(-1)
    q = bq.scales.reshape(-1)
    pad = (-q.numel()) % bq.scale_block_size
    groups = torch.cat([q, q.new_zeros(pad)]).view(-1, bq.scale_block_size)
    absmax = (groups / bq.scale_factor[:, None]).reshape(-1)[: q.numel()]
    return absmax + bq.scale_mean


def nf4_dequantize(bq: BlockQuantized) -> Tensor:
    """``x_hat = NF4_CODEBOOK[code] * absmax`` (float32, then ``dtype``).

    Lesson 6. Called by ``BlockQuantized.dequantize()``.

    >>> x = torch.tensor([[0.7, -0.2] * 32])
    >>> nf4_dequantize(nf4_quantize(x))[0, :2]
    tensor([ 0.7000, -0.1991])
    """
    values = _LEVELS[bq.codes.reshape(-1, bq.block_size).long()]
    x_hat = values.mul_(nf4_absmax(bq)[:, None]).reshape(bq.shape)
    return x_hat if bq.dtype == torch.float32 else x_hat.to(bq.dtype)


DEQUANTIZERS["nf4"] = nf4_dequantize
