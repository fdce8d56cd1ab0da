"""Input checks shared by the block kernels: dtype, block size, block layout.

Private helper of :mod:`course_utils.blocks` (Lesson 6).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

INPUT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
# Values per chunk: the kernels run about twenty ops per chunk, into scratch
# tensors reused from chunk to chunk. Chunks only bound the scratch memory (64 MiB
# of float32), as in course_utils.quant: on this 2-core machine under load 7,
# MXFP4 quantize + dequantize of 16M values took 3.3 s in 1M-value chunks and
# 1.5 s in one chunk (many small ops wait on busy cores), so big chunks it is.
CHUNK = 1 << 24


def check_block_size(block_size: object, name: str = "block_size") -> int:
    """``block_size`` as a positive int, or a TypeError/ValueError."""
    if isinstance(block_size, bool) or not isinstance(block_size, int):
        raise TypeError(f"{name} must be a positive int, got {block_size!r}")
    if block_size < 1:
        raise ValueError(f"{name} must be a positive int, got {block_size}")
    return block_size


def as_blocks(x: object, block_size: int) -> Tensor:
    """``x`` as a float32 ``(n_blocks, block_size)`` view of its last axis.

    Raises:
        TypeError: ``x`` is not a float32/bfloat16/float16 tensor.
        ValueError: ``x`` is 0-d, or its last dimension is not a multiple of
            ``block_size``.
    """
    block_size = check_block_size(block_size)
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in INPUT_DTYPES:
        hint = " (convert it with x.float() first)" if x.is_floating_point() else ""
        raise TypeError("x must be a float32, bfloat16 or float16 tensor, got "
                        f"{x.dtype}{hint}")
    if x.dim() == 0:
        raise ValueError("x must have at least one dimension (blocks run along "
                         "the last one)")
    if x.shape[-1] % block_size:
        raise ValueError(f"the last dimension of x ({x.shape[-1]}) must be a "
                         f"multiple of block_size={block_size}")
    return x.detach().to(torch.float32).contiguous().reshape(-1, block_size)


def check_finite(xb: Tensor, scheme: str) -> None:
    """ValueError if a block holds NaN or inf (NVFP4 and NF4 define no rule)."""
    if xb.numel() and not bool(torch.isfinite(xb).all()):
        raise ValueError(f"{scheme} needs finite values; x contains NaN or inf")


def chunks(n_rows: int, row_len: int) -> Iterator[slice]:
    """Row slices of about :data:`CHUNK` values each."""
    step = max(1, CHUNK // max(row_len, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def block_amax(xb: Tensor) -> Tensor:
    """max|x| of each row of ``xb`` (NaN if the row has a NaN), no |x| copy."""
    if xb.shape[0] == 0:
        return xb.new_zeros(0)
    return torch.maximum(xb.amax(dim=1), xb.amin(dim=1).neg())


def pow2_float32(k: Tensor) -> Tensor:
    """Exact float32 ``2**k`` for integer ``k`` in [-149, 127], built from its bits."""
    k = k.to(torch.int32)
    normal = (k + 127).clamp_(min=1) << 23                 # exponent field
    subnormal = torch.ones_like(k) << (k + 149).clamp_(0, 22)
    return torch.where(k >= -126, normal, subnormal).view(torch.float32)
