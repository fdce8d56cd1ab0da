"""The float codec for tensors: vectorised encode, decode and fields (Lesson 2).

The same rounding as :mod:`course_utils.codec` (nearest, ties to even, once,
from the exact float64 value), written with integer shifts and masks over whole
tensors: never a round trip through a lower-precision float.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from course_utils.formats import FloatFormat, get_format

__all__ = ["all_values", "decode_tensor", "encode_tensor", "fields"]


def _pow2(k: torch.Tensor) -> torch.Tensor:
    """Exact float64 ``2**k`` for integer tensors with -1022 <= k <= 1023."""
    return ((k.to(torch.int64) + 1023) << 52).view(torch.float64)


def _mul_pow2(t: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Exact ``t * 2**k`` (float64) in two steps so each power stays normal."""
    half = torch.div(k, 2, rounding_mode="floor")
    return t * _pow2(half) * _pow2(k - half)


def _float_input(x: Any, name: str = "x") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        if isinstance(x, bool) or isinstance(x, str | bytes):
            raise TypeError(f"{name} must be a tensor or numbers, got {x!r}")
        x = torch.as_tensor(x, dtype=torch.float64)
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must be a real tensor, got dtype {x.dtype}")
    return x


def encode_tensor(x: torch.Tensor, fmt: str | FloatFormat,
                  saturate: bool | None = None) -> torch.Tensor:
    """Codes of every element of ``x`` stored in ``fmt`` (vectorised :func:`encode`).

    Lesson 2: Data types and sizes. Rounds the exact float64 value of each
    element once (no torch cast involved), with the same conventions as
    :func:`encode`.

    Returns:
        An int64 tensor of codes, shaped like ``x`` (64-bit formats: the int64
        with the same bits).

    >>> encode_tensor(torch.tensor([1.0, 0.3, 7.0, -100.0]), "fp4_e2m1").tolist()
    [2, 1, 7, 15]
    """
    fmt = get_format(fmt)
    sat = fmt.always_saturates if saturate is None else bool(saturate)
    sat = sat or fmt.special == "none"
    x64 = _float_input(x).to(torch.float64)
    is_nan = torch.isnan(x64)
    if fmt.nan_code is None and bool(is_nan.any()):
        raise ValueError(f"{fmt.name} has no NaN; x contains nan")
    m = fmt.frac_bits
    a = x64.abs()
    finite = torch.isfinite(a)
    a = torch.where(finite, a, 1.0)
    _, ex = torch.frexp(a)                              # a = f * 2**ex, f in [.5, 1)
    qe = (ex.to(torch.int64) - 1).clamp_(min=fmt.emin) - m
    big = torch.round(_mul_pow2(a, -qe)).to(torch.int64)   # half to even, exact
    carry = big >= (2 << m)
    big = torch.where(carry, big >> 1, big)
    qe = qe + carry
    low = big < (1 << m)
    e_field = qe + m + fmt.bias
    over = e_field >= (1 << fmt.exp_bits)          # beyond the exponent field
    mag = (e_field.clamp_(max=(1 << fmt.exp_bits) - 1) << m) | (big - (1 << m))
    mag = torch.where(low, big if fmt.subnormals else torch.zeros_like(big), mag)
    mag = torch.where(a == 0, 0, mag)
    over = (over & ~low) | (mag > fmt.max_mag_code) | ~finite
    over_code = fmt.max_mag_code if sat else (fmt.inf_code if fmt.has_inf else -1)
    mag = torch.where(over, over_code, mag)
    code = mag
    if fmt.signed:
        neg = torch.signbit(x64) & (mag >= 0)
        if fmt.special == "fnuz":
            neg &= mag != 0
        code = torch.where(neg, mag | (1 << (fmt.n_bits - 1)) if fmt.n_bits < 64
                           else mag | torch.iinfo(torch.int64).min, mag)
    if fmt.nan_code is not None:
        nan_code = fmt.nan_code - (1 << 64 if fmt.nan_code >= 1 << 63 else 0)
        code = torch.where(is_nan | (mag < 0), nan_code, code)
    return code


def decode_tensor(code: torch.Tensor, fmt: str | FloatFormat) -> torch.Tensor:
    """Float64 values of a tensor of codes (vectorised :func:`decode`).

    Lesson 2: Data types and sizes.

    >>> decode_tensor(torch.tensor([0x3C00, 0x7C00, 0xC000]), "fp16").tolist()
    [1.0, inf, -2.0]
    """
    fmt = get_format(fmt)
    if not isinstance(code, torch.Tensor) or code.is_floating_point() or (
            code.dtype in (torch.bool, torch.complex64, torch.complex128)):
        raise TypeError("code must be an integer tensor of bit patterns")
    code = code.to(torch.int64)
    if fmt.n_bits < 64 and bool(((code < 0) | (code >> fmt.n_bits != 0)).any()):
        raise ValueError(f"{fmt.name} codes are ints from 0 to "
                         f"{(1 << fmt.n_bits) - 1}")
    m = fmt.frac_bits
    e_field = (code >> m) & ((1 << fmt.exp_bits) - 1)
    man = code & ((1 << m) - 1)
    sub = e_field == 0 if fmt.subnormals else torch.zeros_like(code, dtype=torch.bool)
    big = torch.where(sub, man, man | (1 << m)).to(torch.float64)
    scale_exp = torch.where(sub, fmt.emin, e_field - fmt.bias) - m
    value = _mul_pow2(big, scale_exp)
    if fmt.signed:
        value = torch.where(((code >> (fmt.n_bits - 1)) & 1) == 1, -value, value)
    mag = code & fmt.mag_mask
    if fmt.special == "ieee":
        top = e_field == (1 << fmt.exp_bits) - 1
        value = torch.where(top & (man == 0), value.sign() * math.inf, value)
        value = torch.where(top & (man != 0), math.nan, value)
    elif fmt.special == "fn":
        value = torch.where(mag == fmt.mag_mask, math.nan, value)
    elif fmt.special == "fnuz":
        value = torch.where(code == fmt.nan_code, math.nan, value)
    return value


_VIEW = {8: torch.uint8, 16: torch.int16, 32: torch.int32, 64: torch.int64}


def fields(x: torch.Tensor, fmt: str | FloatFormat
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sign, exponent and fraction fields of ``x`` once stored in ``fmt``.

    Lesson 2: Data types and sizes. Vectorised: ``x`` is cast to
    ``fmt.torch_dtype`` (so the bits are exactly what torch stores), viewed as an
    integer tensor and split with shifts and masks. Formats without a torch
    dtype (tf32, fp6, fp4, user formats) are rounded with :func:`encode_tensor`.

    Note: the fields follow torch's cast even where it is not the nearest value,
    so they can differ from :func:`encode` in two documented corners: torch casts
    float64 to 16- and 8-bit formats through float32 (double rounding: one ulp
    off at near-ties for float64 ``x`` that are not float32 values), and its
    e8m0 cast rounds float32 subnormals above 2**-127 up to 2**-126.
    Everywhere else (all float32 inputs, every format) they agree.

    Returns:
        Three integer tensors shaped like ``x`` (int32; int64 for 64-bit
        formats): the sign bit (0 for formats without one), the exponent field
        as stored (biased: subtract ``fmt.bias`` for the power of two) and the
        fraction field.

    >>> s, e, f = fields(torch.tensor([1.0, -0.1]), "fp16")
    >>> s.tolist(), e.tolist(), f.tolist()
    ([0, 1], [15, 11], [0, 614])
    """
    fmt = get_format(fmt)
    x = _float_input(x)
    out = torch.int64 if fmt.n_bits > 32 else torch.int32
    dtype = fmt.torch_dtype
    full_width = False           # does the sign bit sit in raw's own sign bit?
    if dtype is not None and fmt.n_bits in _VIEW:
        stored = x if x.dtype == dtype else x.to(dtype)
        raw = stored.view(_VIEW[fmt.n_bits])
        full_width = raw.dtype == out
        if not full_width:
            raw = raw.to(out) & ((1 << fmt.n_bits) - 1)
    else:
        raw = encode_tensor(x, fmt).to(out)
    m = fmt.frac_bits
    if fmt.signed and full_width:    # one pass: sign = raw < 0, written as ints
        sign = torch.lt(raw, 0, out=torch.empty_like(raw))
    elif fmt.signed:
        sign = torch.bitwise_right_shift(raw, fmt.n_bits - 1).bitwise_and_(1)
    else:
        sign = torch.zeros_like(raw)
    exponent = torch.bitwise_right_shift(raw, m).bitwise_and_((1 << fmt.exp_bits) - 1)
    fraction = torch.bitwise_and(raw, (1 << m) - 1)
    return sign, exponent, fraction


def all_values(fmt: str | FloatFormat) -> torch.Tensor:
    """Float64 value of every code of a format with at most 16 bits, by code.

    Lesson 2: Data types and sizes.

    >>> all_values("fp4_e2m1")[:8].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    """
    fmt = get_format(fmt)
    if fmt.n_bits > 16:
        raise ValueError(f"all_values needs a format of at most 16 bits; {fmt.name} "
                         f"has {fmt.n_bits} ({2**fmt.n_bits} codes)")
    return decode_tensor(torch.arange(1 << fmt.n_bits), fmt)
