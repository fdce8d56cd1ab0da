"""NVFP4: fp4 e2m1 in blocks of 16, an fp8 e4m3 scale per block, a float32 per tensor.

Lesson 6: Block-scaled formats. NVIDIA's Blackwell format, computed exactly as
torchao's ``NVFP4Tensor.to_nvfp4`` does (0.18, CPU path), in float32:

- without a per-tensor scale: ``s = clamp(amax / 6, 2**-6, 448)`` rounded to
  fp8 e4m3 (nearest even); ``y = x * (1 / s)`` (the float32 reciprocal, as
  NVIDIA's kernels multiply); the fp4 code of ``y`` (nearest even, +-6 at most);
- with a per-tensor scale ``t``: ``s = clamp(amax / 6 / t, 2**-6, 448)`` in e4m3,
  ``y = x * ((1 / t) / s)``; ``x_hat = fp4 * (t * s)``. ``tensor_scale="amax"``
  uses ``t = max|x| / (448 * 6)`` (torchao's ``per_tensor_amax_to_scale``), so
  the block with the largest value gets the largest e4m3 scale, 448.

Unlike MX, the scale is not a power of two: e4m3 has 3 fraction bits, so a block's
scale follows its amax within 1/16 instead of a factor of 2.

Edge cases (tests in ``tests/test_blocks_nvfp4.py``):

- block scales below ``2**-6`` are raised to ``2**-6`` (e4m3's smallest normal;
  torchao's ``E4M3_EPS``): e4m3's subnormal scales are never used, and without
  a per-tensor scale a block with ``amax < 6 * 2**-6 = 0.09375`` loses
  resolution. An all-zero block gets scale ``2**-6`` (code 8) and codes 0.
- without a per-tensor scale, ``amax > 6 * 448 = 2688`` saturates the scale at
  448 and the block's large values at +-6 (clipping): use ``tensor_scale``.
- NaN or inf in ``x`` is a ValueError (NVFP4 has no NaN scale rule here).
- the per-tensor scale is at least ``2**-121``, so that ``(1 / t) / s`` is a
  finite float32: ``tensor_scale="amax"`` uses ``max(max|x| / 2688, 2**-121)``
  (this differs from torchao only when ``max|x| < 2688 * 2**-121``, about
  1e-33, where torchao's ``1 / t`` overflows and it stores NaN or wrong codes;
  for an all-zero ``x`` it divides 0 by 0); a smaller explicit ``tensor_scale``
  is a ValueError.

>>> x = torch.tensor([[0.3, -1.2, 2.0, 6.1] * 4])
>>> bq = nvfp4_quantize(x)
>>> bq.scales.tolist(), bq.codes[0, :4].tolist()   # e4m3 code 56 = 1.0
([[56]], [1, 10, 4, 7])
>>> bq.dequantize()[0, :4]
tensor([ 0.5000, -1.0000,  2.0000,  6.0000])
"""

from __future__ import annotations

import math

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
from course_utils.blocks.elements import (
    decode_elements,
    element_format,
    encode_elements,
)

__all__ = ["E4M3_MAX", "E4M3_MIN_SCALE", "FP4_MAX", "nvfp4_dequantize",
           "nvfp4_quantize", "nvfp4_tensor_scale"]

FP4_MAX, E4M3_MAX = 6.0, 448.0
E4M3_MIN_SCALE = 2.0**-6   # torch.finfo(torch.float8_e4m3fn).tiny
# Smallest per-tensor scale: (1 / t) / 2**-6 must stay a finite float32.
TENSOR_SCALE_MIN = 2.0**-121


def nvfp4_tensor_scale(x: Tensor) -> Tensor:
    """The per-tensor scale ``max|x| / (448 * 6)`` as a float32 0-d tensor.

    Lesson 6. At least ``2**-121`` (see the module docstring).

    >>> nvfp4_tensor_scale(torch.tensor([2688.0, -1.0]))
    tensor(1.)
    >>> nvfp4_tensor_scale(torch.zeros(3)).item() == 2.0**-121
    True
    """
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point tensor")
    amax = x.detach().abs().max().to(torch.float32) if x.numel() else torch.tensor(0.0)
    if not bool(torch.isfinite(amax)):
        raise ValueError("nvfp4 needs finite values; x contains NaN or inf")
    return (amax / (E4M3_MAX * FP4_MAX)).clamp(min=TENSOR_SCALE_MIN)


def _tensor_scale(tensor_scale: object, x: Tensor) -> Tensor | None:
    if tensor_scale is None:
        return None
    if isinstance(tensor_scale, str):
        if tensor_scale != "amax":
            raise ValueError("tensor_scale must be None, 'amax' or a positive "
                             f"number, got {tensor_scale!r}")
        return nvfp4_tensor_scale(x)
    if isinstance(tensor_scale, Tensor):
        if tensor_scale.numel() != 1:
            raise ValueError("tensor_scale must be a single number (0-d tensor)")
        value = float(tensor_scale)
    elif isinstance(tensor_scale, int | float) and not isinstance(tensor_scale, bool):
        value = float(tensor_scale)
    else:
        raise TypeError("tensor_scale must be None, 'amax' or a positive number, "
                        f"got {type(tensor_scale).__name__}")
    t = torch.tensor(value, dtype=torch.float32)
    if not (math.isfinite(float(t)) and float(t) >= TENSOR_SCALE_MIN):
        raise ValueError("tensor_scale must be a finite float32 of at least "
                         f"2**-121, got {value}")
    return t


def nvfp4_quantize(x: Tensor, tensor_scale: str | float | Tensor | None = None,
                   block_size: int = 16) -> BlockQuantized:
    """Quantize ``x`` to NVFP4 along its last axis (Lesson 6).

    Args:
        x: float32, bfloat16 or float16, finite; the last dimension a multiple of
            ``block_size``.
        tensor_scale: None (one level of scales), ``"amax"`` (``max|x| / 2688``)
            or a positive float32 number (e.g. calibrated).
        block_size: 16 in NVFP4.

    Returns:
        A :class:`BlockQuantized`: fp4 codes, e4m3 scale codes (uint8) and
        ``tensor_scale`` (float32 0-d tensor or None).

    >>> x = torch.full((1, 16), 5000.0)
    >>> nvfp4_quantize(x).dequantize()[0, 0]            # scale saturates at 448
    tensor(2688.)
    >>> nvfp4_quantize(x, tensor_scale="amax").dequantize()[0, 0]
    tensor(5000.)
    """
    f = element_format("fp4_e2m1")
    block_size = check_block_size(block_size)
    xb = as_blocks(x, block_size)
    check_finite(xb, "nvfp4")
    t = _tensor_scale(tensor_scale, x)
    block_scale = block_amax(xb) / FP4_MAX
    if t is not None:
        block_scale = block_scale / t
    s8 = block_scale.clamp(E4M3_MIN_SCALE, E4M3_MAX).to(torch.float8_e4m3fn)
    s32 = s8.to(torch.float32)
    r = 1.0 / s32 if t is None else (1.0 / t) / s32
    codes = torch.empty(xb.shape, dtype=torch.uint8)
    for rows in chunks(xb.shape[0], block_size):
        codes[rows] = encode_elements(xb[rows] * r[rows, None], f)
    return BlockQuantized(
        codes=codes.reshape(x.shape),
        scales=s8.view(torch.uint8).reshape(*x.shape[:-1], x.shape[-1] // block_size),
        scheme="nvfp4", fmt=f.name, block_size=block_size, scale_fmt="fp8_e4m3fn",
        dtype=x.dtype, tensor_scale=t)


def nvfp4_dequantize(bq: BlockQuantized) -> Tensor:
    """``x_hat = fp4 value * (tensor_scale * e4m3 scale)`` in float32, then ``dtype``.

    Lesson 6. Called by ``BlockQuantized.dequantize()``.

    >>> nvfp4_dequantize(nvfp4_quantize(torch.arange(16.0).reshape(1, 16)))[0, -4:]
    tensor([10., 15., 15., 15.])
    """
    values = decode_elements(bq.codes.reshape(-1, bq.block_size), "fp4_e2m1")
    scale = bq.scales.reshape(-1).view(torch.float8_e4m3fn).to(torch.float32)
    if bq.tensor_scale is not None:
        scale = bq.tensor_scale * scale
    x_hat = values.mul_(scale[:, None]).reshape(bq.shape)
    return x_hat if bq.dtype == torch.float32 else x_hat.to(bq.dtype)


DEQUANTIZERS["nvfp4"] = nvfp4_dequantize
