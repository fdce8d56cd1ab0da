"""The float codec: exact bits <-> value of one number in any format (Lesson 2).

Scalar and exact: a value is rounded once, to nearest with ties to even, by
integer arithmetic on its exact value (a Python int, float or
:class:`fractions.Fraction`); decoding gives the exact Fraction or the float.
The vectorised versions for tensors are in :mod:`course_utils.tensor_codec`.

Overflow convention: :func:`encode` stores a number as torch's own cast does.
Where torch and ml_dtypes disagree this is documented at :func:`encode` (fp32 to
``fp8_e4m3fn``: torch saturates at +-448, ml_dtypes gives NaN; pass
``saturate=False`` for the ml_dtypes result; e8m0: torch stores ``|x|`` and maps
0 to 2**-127, ml_dtypes gives NaN). Formats without inf/NaN (fp6, fp4) saturate.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import torch

from course_utils.formats import FloatFormat, get_format
from course_utils.integers import check_int, parse_bits

__all__ = ["check_code", "decode", "decode_exact", "encode", "format_bits"]


def check_code(code: Any, fmt: FloatFormat) -> int:
    """A code of ``fmt`` as an int, from an int or a bit string of the right width.

    >>> check_code("0 01111 0000000000", get_format("fp16"))
    15360
    """
    if isinstance(code, str):
        text = parse_bits(code)
        if len(text) != fmt.n_bits:
            raise ValueError(f"{fmt.name} codes have {fmt.n_bits} bits, got "
                             f"{len(text)} in {code!r}")
        return int(text, 2)
    code = check_int(code, "code")
    if not 0 <= code < 1 << fmt.n_bits:
        raise ValueError(f"a {fmt.name} code is an int from 0 to "
                         f"{(1 << fmt.n_bits) - 1}, got {code}")
    return code


def _sign_of(code: int, fmt: FloatFormat) -> int:
    return -1 if fmt.signed and code >> (fmt.n_bits - 1) else 1


def decode_exact(code: int | str, fmt: str | FloatFormat) -> Fraction | None:
    """Exact value of a bit pattern as a Fraction; None for inf and NaN.

    Lesson 2: Data types and sizes. ``code`` may also be a bit string.

    >>> decode_exact(0b0_01011_1001100110, "fp16")
    Fraction(819, 8192)
    """
    fmt = get_format(fmt)
    code = check_code(code, fmt)
    if fmt.is_nan_code(code) or fmt.is_inf_code(code):
        return None
    return _sign_of(code, fmt) * fmt.mag_value(code & fmt.mag_mask)


def decode(code: int | str, fmt: str | FloatFormat) -> float:
    """The value of a bit pattern in a float format (exact, as a Python float).

    Lesson 2: Data types and sizes.

    Args:
        code: the bit pattern as an int, or a bit string like ``"0 01111 00..."``.
        fmt: a format name (``"fp16"``, ``"bfloat16"``, ...), dtype or FloatFormat.

    >>> decode(0x3C00, "fp16"), decode("0 1111 110", "fp8_e4m3fn")
    (1.0, 448.0)
    >>> decode(0b1_0000_000, "fp8_e4m3fnuz")   # fnuz: "-0" is the NaN
    nan
    """
    fmt = get_format(fmt)
    code = check_code(code, fmt)
    if fmt.is_nan_code(code):
        return math.nan
    sign = _sign_of(code, fmt)
    if fmt.is_inf_code(code):
        return sign * math.inf
    return math.copysign(float(fmt.mag_value(code & fmt.mag_mask)), sign)


def _as_number(x: Any) -> float | Fraction:
    if isinstance(x, bool) or isinstance(x, str | bytes):
        raise TypeError(f"x must be a real number, got {type(x).__name__} ({x!r})")
    if isinstance(x, Fraction | float):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, torch.Tensor):
        if x.numel() != 1 or x.is_complex() or x.dtype == torch.bool:
            raise TypeError("x must be a real number or a one-element real tensor")
        return float(x.item())
    try:
        return float(x)   # numpy scalars, Decimal, ...
    except (TypeError, ValueError):
        raise TypeError(f"x must be a real number, got {type(x).__name__}") from None


def _round_mag(a: Fraction, fmt: FloatFormat) -> int:
    """Magnitude code of ``a > 0`` rounded to nearest, ties to even (may overflow)."""
    m = fmt.frac_bits
    n, d = a.numerator, a.denominator
    e = n.bit_length() - d.bit_length()            # floor(log2 a) or one more
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    qe = max(e, fmt.emin) - m                       # exponent of one ulp
    big = round(a / Fraction(2) ** qe)              # Fraction rounds half to even
    if big >= 2 << m:                               # carried into the next binade
        big, qe = big >> 1, qe + 1
    if big < 1 << m:                                # below the normal range
        return big if fmt.subnormals else 0
    return ((qe + m + fmt.bias) << m) | (big - (1 << m))


def encode(x: float, fmt: str | FloatFormat, saturate: bool | None = None) -> int:
    """Bit pattern of ``x`` stored in ``fmt``: round to nearest, ties to even.

    Lesson 2: Data types and sizes. The rounding is exact (integer arithmetic on
    the exact value of ``x``; ``x`` may be an int, float or Fraction).

    Args:
        x: the number to store.
        fmt: a format name, dtype or FloatFormat.
        saturate: overflow rule. ``None`` uses the format's convention, which is
            torch's: ``fp8_e4m3fn`` saturates to +-448 (even for +-inf), IEEE
            formats give +-inf, other formats with NaN give NaN, formats
            without inf/NaN (fp6, fp4) always saturate. ``True`` clamps to
            +-max, ``False`` gives inf (or NaN when there is no inf).

    Returns:
        The code as a non-negative int with ``fmt.n_bits`` bits.

    Where torch and ml_dtypes disagree (fp32 -> fp8_e4m3fn above 464), the
    default follows torch; ``saturate=False`` gives ml_dtypes' NaN:

    >>> encode(500.0, "fp8_e4m3fn"), encode(500.0, "fp8_e4m3fn", saturate=False)
    (126, 127)
    >>> import numpy as np, ml_dtypes
    >>> torch.tensor(500.0).to(torch.float8_e4m3fn).view(torch.uint8).item()
    126
    >>> np.float32(500.0).astype(ml_dtypes.float8_e4m3fn).view(np.uint8).item()
    127
    >>> decode(126, "fp8_e4m3fn"), decode(127, "fp8_e4m3fn")
    (448.0, nan)

    ``e8m0`` has no sign and no zero: like torch, it stores ``|x|`` and 0 as
    2**-127 (ml_dtypes gives NaN for both). Ties round the significand to even,
    so with no fraction bits 1.5 rounds up to 2 (as both libraries do). For
    2**-127 < |x| < 1.5 * 2**-127 (float32 subnormals) both libraries give
    2**-126; encode gives the nearest value, 2**-127.

    >>> encode(0.1, "fp16"), encode(-2.0, "fp16"), encode(1e6, "fp16")
    (11878, 49152, 31744)
    """
    fmt = get_format(fmt)
    x = _as_number(x)
    sat = fmt.always_saturates if saturate is None else bool(saturate)
    sat = sat or fmt.special == "none"
    sign_bit = 1 << (fmt.n_bits - 1) if fmt.signed else 0
    if isinstance(x, float) and math.isnan(x):
        if fmt.nan_code is None:
            raise ValueError(f"{fmt.name} has no NaN; cannot store nan")
        return fmt.nan_code
    negative = x < 0 or (isinstance(x, float) and math.copysign(1.0, x) < 0)
    if isinstance(x, float) and math.isinf(x):
        mag = None if not (sat or fmt.has_inf) else (
            fmt.max_mag_code if sat else fmt.inf_code)
    else:
        a = abs(Fraction(x))
        mag = _round_mag(a, fmt) if a else 0
        if mag > fmt.max_mag_code:
            mag = fmt.max_mag_code if sat else fmt.inf_code   # inf_code may be None
    if mag is None:
        return fmt.nan_code
    if negative and fmt.signed and not (mag == 0 and fmt.special == "fnuz"):
        return sign_bit | mag
    return mag


def format_bits(code: int | str, fmt: str | FloatFormat, sep: str = " ") -> str:
    """The bits of a code with the sign, exponent and fraction fields separated.

    Lesson 2: Data types and sizes.

    >>> format_bits(0x3C00, "fp16")
    '0 01111 0000000000'
    """
    fmt = get_format(fmt)
    text = format(check_code(code, fmt), f"0{fmt.n_bits}b")
    return sep.join(text[start:start + width] for _, start, width in fmt.field_spans)
