"""Element formats of block-scaled quantization: round to codes, decode, pack.

Lesson 6: Block-scaled formats. The elements of an MX, NVFP4 or NF4 block are
tiny numbers: fp8 (``fp8_e4m3fn``, ``fp8_e5m2``), fp6 (``fp6_e2m3``,
``fp6_e3m2``), fp4 (``fp4_e2m1``) or MXINT8's ``int8``. This module turns float32
values (already divided by their block's scale) into element codes and back.

Rounding is to nearest, ties to even, and saturates at the format's largest value
(fp8 too: 500 becomes 448, and even inf becomes +-max). The sign of a zero is kept
(``-0.1`` becomes fp4's ``-0``, code 8), as torch's fp8 casts and torchao do.

How, without a Python loop over values:

- fp8: torch's own cast (``clamp`` then ``.to(torch.float8_e4m3fn)``).
- fp6: each fp6 format sits inside an fp8 format with the same fraction bits
  (``e2m3`` in ``e4m3fn``, ``e3m2`` in ``e5m2``): ``y * 2**-6`` (``2**-12``) cast
  to that fp8 format has exactly the fp6 code in its low bits, subnormals included.
- fp4: the code of ``|y|`` is the number of midpoints between neighbouring fp4
  values that lie below ``|y|`` (a midpoint exactly at ``|y|`` counts when the
  value below it has an odd code: ties to even).
- int8 (MXINT8): ``q = clamp(round(y * 64), -127, 127)``; the code is ``q``'s
  two's complement byte. Its value is ``q * 2**-6``, so the largest is
  ``127/64 = 1.984375``; ``-128`` (= -2.0) is never produced, as in the OCP
  spec's reference code (symmetric range), though it decodes to -2.0.

Packing (:func:`pack_codes`): fp4 puts two codes in a byte. MX and NVFP4 put
element ``2i`` in the low nibble (``"low_first"``, torchao's ``pack_uint4``); NF4
puts it in the high nibble (``"high_first"``, torchao's ``NF4Tensor`` and
bitsandbytes). fp6 packs four codes into three bytes, code ``4i`` in the lowest
six bits of a little-endian 24-bit word (torchao keeps fp6 unpacked, one per byte).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from course_utils.bits import get_format

__all__ = [
    "ELEMENT_FORMATS", "ElementFormat", "decode_elements", "element_format",
    "element_grid", "encode_elements", "pack_codes", "unpack_codes",
]

#: The element formats MX accepts (NVFP4 is ``fp4_e2m1``; NF4 has its own codebook).
ELEMENT_FORMATS = ("fp8_e4m3fn", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "int8")

_FLOATS = tuple(e for e in ELEMENT_FORMATS if e != "int8")
_FP8 = {"fp8_e4m3fn": torch.float8_e4m3fn, "fp8_e5m2": torch.float8_e5m2}
_CARRIER = {"fp6_e2m3": "fp8_e4m3fn", "fp6_e3m2": "fp8_e5m2", "fp4_e2m1": "fp8_e4m3fn"}
_INT8_FRACTION_BITS = 6  # MXINT8: value = q * 2**-6


@dataclass(frozen=True)
class ElementFormat:
    """Facts about one element format (Lesson 6).

    Attributes:
        name: ``"fp4_e2m1"``, ..., or ``"int8"``.
        n_bits: bits per element code.
        max: largest value (``1.984375`` for int8).
        emax: exponent of the largest power of two <= max (the OCP spec's
            ``emax_elem``: 8 for e4m3, 15 for e5m2, 2 for e2m3 and e2m1, 4 for e3m2,
            0 for int8).
        frac_bits: fraction bits (6 for int8: its step is ``2**-6``).
        emin: exponent of the smallest normal value (int8: -6 is its step).

    >>> f = element_format("fp4_e2m1")
    >>> f.n_bits, f.max, f.emax, f.emin
    (4, 6.0, 2, 0)
    """

    name: str
    n_bits: int
    max: float
    emax: int
    frac_bits: int
    emin: int

    @property
    def is_int(self) -> bool:
        """True for MXINT8's two's complement elements."""
        return self.name == "int8"


def element_format(elem: str | object) -> ElementFormat:
    """Look up an element format by name (or alias, e.g. ``"e2m1"``, a torch dtype).

    Lesson 6. Raises ValueError for formats that are not MX element formats.

    >>> element_format("e4m3").name, element_format("int8").max
    ('fp8_e4m3fn', 1.984375)
    """
    if isinstance(elem, str) and elem.strip().lower() in ("int8", "mxint8"):
        return ElementFormat("int8", 8, 127 / 64, 0, _INT8_FRACTION_BITS,
                             -_INT8_FRACTION_BITS)
    if isinstance(elem, str) and elem.strip().lower() == "e4m3":
        elem = "fp8_e4m3fn"  # OCP's E4M3 is the fn variant (no inf)
    try:
        fmt = get_format(elem)
    except (TypeError, ValueError):
        fmt = None
    # compared by value, through the public facade (course_utils.bits)
    name = next((n for n in _FLOATS if fmt == get_format(n)), None)
    if name is None:
        raise ValueError(f"unknown element format {elem!r}; expected one of "
                         f"{', '.join(ELEMENT_FORMATS)}")
    return ElementFormat(name, fmt.n_bits, fmt.max, fmt.emax, fmt.frac_bits,
                         fmt.emin)


def element_grid(elem: str | ElementFormat) -> Tensor:
    """Every value of an element format, indexed by code (float64, length 2**n_bits).

    Lesson 6. Decoded independently of :func:`decode_elements` (from the format's
    fields through :func:`course_utils.bits.decode_tensor`).

    >>> element_grid("fp4_e2m1")[:8].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    """
    f = elem if isinstance(elem, ElementFormat) else element_format(elem)
    codes = torch.arange(1 << f.n_bits)
    if f.is_int:
        return codes.to(torch.int8).to(torch.float64) * 2.0**-_INT8_FRACTION_BITS
    from course_utils.bits import decode_tensor

    return decode_tensor(codes, get_format(f.name))


def _fp4_midpoints() -> list[tuple[float, bool]]:
    """Midpoints between neighbouring fp4 magnitudes; True: a tie goes up."""
    values = element_grid("fp4_e2m1")[:8].tolist()
    return [((lo + hi) / 2, code % 2 == 1)
            for code, (lo, hi) in enumerate(zip(values, values[1:], strict=False))]


_FP4_MIDPOINTS = _fp4_midpoints()


def encode_elements(y: Tensor, elem: str | ElementFormat) -> Tensor:
    """Codes (uint8) of float32 values ``y`` in an element format: RNE, saturating.

    Lesson 6. ``y`` is ``x / scale`` for the block's scale. NaN gives an
    unspecified code (the block kernels never pass NaN to a format without NaN).

    >>> y = torch.tensor([0.25, 0.75, 2.5, 5.0, 7.0, -0.1, 1e9])
    >>> encode_elements(y, "fp4_e2m1").tolist()   # ties to even, saturate, -0
    [0, 2, 4, 6, 7, 8, 7]
    >>> encode_elements(torch.tensor([1.0, -1.0, 1.99]), "int8").tolist()
    [64, 192, 127]
    """
    f = elem if isinstance(elem, ElementFormat) else element_format(elem)
    if not isinstance(y, Tensor) or y.dtype != torch.float32:
        raise TypeError("y must be a float32 tensor")
    out = torch.empty(y.shape, dtype=torch.uint8)
    encode_into(y.clone(), f, out, torch.empty(y.shape, dtype=torch.bool))
    return out


def encode_into(y: Tensor, f: ElementFormat, out: Tensor, flag: Tensor) -> None:
    """:func:`encode_elements` into ``out`` (uint8), overwriting ``y`` and the bool
    scratch ``flag`` (both shaped like ``out``): no new tensor per call."""
    if f.is_int:
        y.mul_(float(1 << _INT8_FRACTION_BITS)).round_().clamp_(-127, 127)
        out.view(torch.int8).copy_(y)
        return
    if f.name in _FP8:
        out.view(_FP8[f.name]).copy_(y.clamp_(-f.max, f.max))
        return
    if f.name == "fp4_e2m1":
        torch.signbit(y, out=flag)
        torch.mul(flag.view(torch.uint8), 8, out=out)       # the sign bit
        y.abs_()
        for mid, tie_up in _FP4_MIDPOINTS:  # 7 midpoints, not the elements
            (torch.ge if tie_up else torch.gt)(y, mid, out=flag)
            out.add_(flag.view(torch.uint8))
        return
    carrier = element_format(_CARRIER[f.name])
    shift = 2.0 ** (carrier.emin - f.emin)
    out.view(_FP8[carrier.name]).copy_(y.clamp_(-f.max, f.max).mul_(shift))
    sign = flag.view(torch.uint8)
    torch.bitwise_and(out, 0x80, out=sign)                  # carrier sign, bit 7
    out.sub_(sign).add_(sign >> (8 - f.n_bits))             # to bit n_bits - 1


def decode_elements(codes: Tensor, elem: str | ElementFormat) -> Tensor:
    """Float32 values of element codes (the inverse of :func:`encode_elements`).

    Lesson 6. Exact: every element value is a float32.

    >>> decode_elements(torch.tensor([0, 2, 7, 15], dtype=torch.uint8), "e2m1")
    tensor([ 0.,  1.,  6., -6.])
    """
    f = elem if isinstance(elem, ElementFormat) else element_format(elem)
    unit, k = decode_unscaled(codes, f)
    return unit * 2.0**k if k else unit


def decode_unscaled(codes: Tensor, f: ElementFormat) -> tuple[Tensor, int]:
    """Float32 ``v`` and exponent ``k`` with element value ``v * 2**k``."""
    if codes.dtype != torch.uint8:
        raise TypeError(f"codes must be uint8, got {codes.dtype}")
    out = torch.empty(codes.shape, dtype=torch.float32)
    return out, decode_into(codes, f, out, torch.empty_like(codes))


def decode_into(codes: Tensor, f: ElementFormat, out: Tensor, scratch: Tensor) -> int:
    """Write ``v`` (float32) into ``out`` and return ``k``: value = ``v * 2**k``.

    ``scratch`` is a uint8 tensor shaped like ``codes`` that gets overwritten.
    fp6 and fp4 codes become codes of their fp8 carrier with uint8 arithmetic:
    ``c8 = c + 3 * (c & 0x20)`` (fp6: the sign moves from bit 5 to bit 7) and
    ``c8 = 4 * c + 12 * (c & 8)`` (fp4: fraction and exponent move up 2 bits).
    """
    if f.is_int:
        out.copy_(codes.view(torch.int8))
        return -_INT8_FRACTION_BITS
    if f.name in _FP8:
        out.copy_(codes.view(_FP8[f.name]))
        return 0
    carrier = element_format(_CARRIER[f.name])
    sign_bit = 1 << (f.n_bits - 1)
    if f.name == "fp4_e2m1":
        torch.mul(codes, 4, out=scratch)
        scratch.add_(codes & sign_bit, alpha=12)
    else:
        torch.bitwise_and(codes, sign_bit, out=scratch)
        scratch.mul_(3).add_(codes)
    out.copy_(scratch.view(_FP8[carrier.name]))
    return f.emin - carrier.emin


PACK_ORDERS = ("low_first", "high_first")


def pack_codes(codes: Tensor, n_bits: int, order: str = "low_first") -> Tensor:
    """Pack element codes (flattened, row-major) into bytes (Lesson 6).

    Args:
        codes: uint8 codes.
        n_bits: 4 (two per byte), 6 (four per three bytes) or 8 (one per byte).
        order: for 4 bits, whether element ``2i`` takes the low nibble
            (``"low_first"``: MX/NVFP4, torchao's ``pack_uint4``) or the high one
            (``"high_first"``: NF4, torchao's ``NF4Tensor``).

    Returns:
        1-D uint8 tensor; a ragged end is padded with zero codes.

    >>> pack_codes(torch.tensor([1, 2, 3, 4], dtype=torch.uint8), 4).tolist()
    [33, 67]
    >>> pack_codes(torch.tensor([1, 2], dtype=torch.uint8), 4, "high_first").tolist()
    [18]
    """
    if order not in PACK_ORDERS:
        raise ValueError(f"order must be one of {PACK_ORDERS}, got {order!r}")
    flat = codes.reshape(-1)
    if n_bits == 8:
        return flat.clone()
    per = {4: 2, 6: 4}.get(n_bits)
    if per is None:
        raise ValueError(f"n_bits must be 4, 6 or 8, got {n_bits}")
    pad = (-flat.numel()) % per
    if pad:
        flat = torch.cat([flat, flat.new_zeros(pad)])
    if n_bits == 4:
        pairs = flat.view(-1, 2)
        lo, hi = (pairs[:, 0], pairs[:, 1]) if order == "low_first" else (
            pairs[:, 1], pairs[:, 0])
        return lo | (hi << 4)
    quads = flat.view(-1, 4).to(torch.int32)
    word = quads[:, 0] | (quads[:, 1] << 6) | (quads[:, 2] << 12) | (quads[:, 3] << 18)
    return torch.stack([word & 0xFF, (word >> 8) & 0xFF, word >> 16], dim=1).to(
        torch.uint8).reshape(-1)


def unpack_codes(packed: Tensor, n_bits: int, numel: int,
                 order: str = "low_first") -> Tensor:
    """Undo :func:`pack_codes`: the first ``numel`` codes as a 1-D uint8 tensor.

    Lesson 6.

    >>> unpack_codes(torch.tensor([33, 67], dtype=torch.uint8), 4, 4).tolist()
    [1, 2, 3, 4]
    """
    if order not in PACK_ORDERS:
        raise ValueError(f"order must be one of {PACK_ORDERS}, got {order!r}")
    if packed.dtype != torch.uint8:
        raise TypeError(f"packed must be uint8, got {packed.dtype}")
    flat = packed.reshape(-1)
    if n_bits == 8:
        out = flat
    elif n_bits == 4:
        lo, hi = flat & 0x0F, flat >> 4
        out = torch.stack((lo, hi) if order == "low_first" else (hi, lo), dim=1)
    elif n_bits == 6:
        b = flat.view(-1, 3).to(torch.int32)
        word = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        out = torch.stack([(word >> s) & 0x3F for s in (0, 6, 12, 18)], dim=1)
        out = out.to(torch.uint8)
    else:
        raise ValueError(f"n_bits must be 4, 6 or 8, got {n_bits}")
    out = out.reshape(-1)
    if out.numel() < numel:
        raise ValueError(f"{packed.numel()} bytes hold fewer than {numel} codes")
    return out[:numel].clone()
