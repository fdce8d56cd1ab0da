"""Bit packing: several 1-, 2- or 4-bit codes per byte (Lesson 5).

The layout is that of torch's ``quint4x2``: element 0 in the lowest bits.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_utils.integers import check_n_bits, int_range

__all__ = ["pack", "unpack"]

_PACK_BITS = (1, 2, 4)


def pack(q: Tensor, n_bits: int, *, signed: bool = False) -> Tensor:
    """Pack ``n_bits`` codes (1, 2 or 4) into bytes, element 0 in the lowest bits.

    Lesson 5 (storing 4-bit and 2-bit weights). The layout is that of torch's
    ``quint4x2``: byte ``i`` holds codes ``i*k ... i*k + k-1`` (``k = 8 // n_bits``)
    from the least significant bits up. ``q`` is flattened in row-major order; a
    length that is not a multiple of ``k`` is padded with zero codes.

    Args:
        q: integer codes. With ``signed=False`` (default) they must lie in
            ``[0, 2**n_bits)``; add ``2**(n_bits - 1)`` to signed codes first, or
            pass ``signed=True`` to store codes in ``[-2**(n_bits-1), 2**(n_bits-1))``
            as their ``n_bits`` two's complement pattern (-1 -> ``0b1111``).
        n_bits: 1, 2 or 4 (8-bit codes need no packing: ``q.to(torch.uint8)``).

    Returns:
        A 1-D uint8 tensor of ``ceil(q.numel() / k)`` bytes.

    >>> pack(torch.tensor([1, 2, 15]), 4)  # 0x21, 0x0F
    tensor([33, 15], dtype=torch.uint8)
    >>> pack(torch.tensor([-1, 1]), 4, signed=True)  # 0b0001_1111
    tensor([31], dtype=torch.uint8)
    """
    check_n_bits(n_bits, allowed=_PACK_BITS)
    if not isinstance(q, Tensor):
        raise TypeError(f"q must be a torch.Tensor, got {type(q).__name__}")
    if q.is_floating_point() or q.is_complex():
        raise TypeError(f"q must hold integer codes, got dtype {q.dtype}")
    flat = q.reshape(-1)
    lo, hi = int_range(n_bits, signed)
    if flat.numel():
        if flat.dtype == torch.bool:
            flat = flat.to(torch.uint8)
        q_lo, q_hi = torch.aminmax(flat)
        if int(q_lo) < lo or int(q_hi) > hi:
            hint = (" (signed codes: pass signed=True or add "
                    f"{2 ** (n_bits - 1)})" if not signed and int(q_lo) < 0 else "")
            raise ValueError(f"{n_bits}-bit codes must lie in [{lo}, {hi}], got "
                             f"values in [{int(q_lo)}, {int(q_hi)}]{hint}")
    per = 8 // n_bits
    codes = flat.to(torch.uint8)  # two's complement wraps: -1 -> 255
    if signed:
        codes = codes & (2**n_bits - 1)
    pad = (-codes.numel()) % per
    if pad:
        codes = torch.cat([codes, codes.new_zeros(pad)])
    codes = codes.reshape(-1, per)
    packed = codes[:, 0].clone()
    for j in range(1, per):  # over bit positions in a byte, not over elements
        packed |= codes[:, j] << (j * n_bits)
    return packed


def unpack(packed: Tensor, n_bits: int, numel: int, *, signed: bool = False
           ) -> Tensor:
    """Undo :func:`pack`: the first ``numel`` codes as a 1-D tensor (Lesson 5).

    Args:
        packed: the uint8 tensor from :func:`pack` (``ceil(numel / k)`` bytes).
        n_bits: 1, 2 or 4, as packed.
        numel: how many codes to return (drops the padding).
        signed: read each code as ``n_bits`` two's complement (int8 result);
            otherwise codes are in ``[0, 2**n_bits)`` (uint8 result).

    >>> unpack(torch.tensor([33, 15], dtype=torch.uint8), 4, 3)
    tensor([ 1,  2, 15], dtype=torch.uint8)
    >>> unpack(torch.tensor([31], dtype=torch.uint8), 4, 2, signed=True)
    tensor([-1,  1], dtype=torch.int8)
    """
    check_n_bits(n_bits, allowed=_PACK_BITS)
    if not isinstance(packed, Tensor) or packed.dtype != torch.uint8:
        got = packed.dtype if isinstance(packed, Tensor) else type(packed).__name__
        raise TypeError(f"packed must be a uint8 tensor from pack(), got {got}")
    if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
        raise ValueError(f"numel must be a non-negative int, got {numel!r}")
    per = 8 // n_bits
    need = -(-numel // per)
    if packed.numel() != need:
        raise ValueError(f"{numel} codes of {n_bits} bits take {need} "
                         f"byte{'s' * (need != 1)}, got {packed.numel()}")
    flat = packed.reshape(-1)
    mask = 2**n_bits - 1
    if per == 2:  # the common int4 case, two cheap ops
        codes = torch.stack((flat & mask, flat >> 4), dim=1)
    else:
        shifts = torch.arange(0, 8, n_bits, dtype=torch.uint8, device=flat.device)
        codes = (flat[:, None] >> shifts) & mask
    codes = codes.reshape(-1)[:numel]
    if signed:
        half = 2 ** (n_bits - 1)
        # (c ^ half) - half sign-extends an n_bits two's complement pattern
        return ((codes ^ half).to(torch.int8) - half).to(torch.int8)
    return codes
