"""Integer and floating-point encodings: bits, fields, exact values, neighbours.

Lesson 2: Data types and sizes. Everything here is exact: scalar encodings use
Python integers and :class:`fractions.Fraction`; tensor functions use integer
shifts and masks, never a round trip through a lower-precision float.

Overflow convention: :func:`encode` stores a number as torch's own cast does.
Where torch and ml_dtypes disagree this is documented at :func:`encode` (fp32 to
``fp8_e4m3fn``: torch saturates at +-448, ml_dtypes gives NaN; pass
``saturate=False`` for the ml_dtypes result; e8m0: torch stores ``|x|`` and maps
0 to 2**-127, ml_dtypes gives NaN). Formats without inf/NaN (fp6, fp4) saturate.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import torch

from course_utils._float_formats import (
    FORMATS,
    FloatFormat,
    _check_code,
    _check_int_value,
    _float_input,
    decode,
    decode_exact,
    decode_tensor,
    encode,
    encode_tensor,
    get_format,
    parse_bits,
)

__all__ = [
    "FORMATS", "Explanation", "FloatFormat", "all_values", "bits_to_int", "decode",
    "decode_exact", "decode_tensor", "encode", "encode_tensor", "explain",
    "explain_code", "fields", "format_bits", "get_format", "int_range",
    "int_to_bits", "parse_bits",
]

# Okabe-Ito colours used for the three fields wherever bits are shown.
SIGN_COLOUR, EXPONENT_COLOUR, MANTISSA_COLOUR = "#D55E00", "#0072B2", "#009E73"


# ============================================================================
# Integers
# ============================================================================
def _check_n_bits(n_bits: Any) -> int:
    if isinstance(n_bits, bool) or not isinstance(n_bits, int):
        raise TypeError(f"n_bits must be an int from 1 to 64, got {n_bits!r}")
    if not 1 <= n_bits <= 64:
        raise ValueError(f"n_bits must be from 1 to 64, got {n_bits}")
    return n_bits


def int_range(n_bits: int, signed: bool = True) -> tuple[int, int]:
    """Smallest and largest integer that fits in ``n_bits`` bits.

    Lesson 2: Data types and sizes. Signed integers use two's complement.

    >>> int_range(4), int_range(4, signed=False), int_range(16)
    ((-8, 7), (0, 15), (-32768, 32767))
    """
    n_bits = _check_n_bits(n_bits)
    if signed:
        return -(1 << (n_bits - 1)), (1 << (n_bits - 1)) - 1
    return 0, (1 << n_bits) - 1


def int_to_bits(value: int, n_bits: int, signed: bool = True) -> str:
    """The ``n_bits`` bits of an integer, most significant first.

    Lesson 2: Data types and sizes. Negative values use two's complement.

    Raises:
        ValueError: ``value`` does not fit in ``n_bits`` bits.

    >>> int_to_bits(-3, 4)
    '1101'
    >>> int_to_bits(13, 4, signed=False)
    '1101'
    >>> int_to_bits(-90, 8)
    '10100110'
    """
    value = _check_int_value(value)
    low, high = int_range(n_bits, signed)
    if not low <= value <= high:
        kind = "signed" if signed else "unsigned"
        raise ValueError(f"{value} does not fit in {n_bits} bits {kind}: expected "
                         f"{low} <= value <= {high}")
    return format(value & ((1 << n_bits) - 1), f"0{n_bits}b")


def bits_to_int(bits: str, signed: bool = True) -> int:
    """The integer a bit string stands for (two's complement when signed).

    Lesson 2: Data types and sizes. The width is the number of bits (1 to 64).

    >>> bits_to_int("1011 0110"), bits_to_int("0b1011_0110", signed=False)
    (-74, 182)
    """
    text = parse_bits(bits)
    if len(text) > 64:
        raise ValueError(f"expected at most 64 bits, got {len(text)}")
    value = int(text, 2)
    if signed and text[0] == "1":
        value -= 1 << len(text)
    return value


_VIEW = {8: torch.uint8, 16: torch.int16, 32: torch.int32, 64: torch.int64}


def fields(x: torch.Tensor, fmt: str | FloatFormat
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sign, exponent and mantissa fields of ``x`` once stored in ``fmt``.

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
        formats). The sign is 0 for formats without a sign bit.

    >>> s, e, m = fields(torch.tensor([1.0, -0.1]), "fp16")
    >>> s.tolist(), e.tolist(), m.tolist()
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
    m = fmt.man_bits
    if fmt.signed and full_width:    # one pass: sign = raw < 0, written as ints
        sign = torch.lt(raw, 0, out=torch.empty_like(raw))
    elif fmt.signed:
        sign = torch.bitwise_right_shift(raw, fmt.n_bits - 1).bitwise_and_(1)
    else:
        sign = torch.zeros_like(raw)
    exponent = torch.bitwise_right_shift(raw, m).bitwise_and_((1 << fmt.exp_bits) - 1)
    mantissa = torch.bitwise_and(raw, (1 << m) - 1)
    return sign, exponent, mantissa


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


def format_bits(code: int, fmt: str | FloatFormat, sep: str = " ") -> str:
    """The bits of a code with the sign, exponent and mantissa fields separated.

    Lesson 2: Data types and sizes.

    >>> format_bits(0x3C00, "fp16")
    '0 01111 0000000000'
    """
    fmt = get_format(fmt)
    text = format(_check_code(code, fmt), f"0{fmt.n_bits}b")
    s = int(fmt.signed)
    parts = [text[:s], text[s:s + fmt.exp_bits], text[s + fmt.exp_bits:]]
    return sep.join(p for p in parts if p)


# ============================================================================
# Explanations (what the float explorer widget shows)
# ============================================================================
def _neighbour(code: int, fmt: FloatFormat, up: bool) -> float:
    """Next representable value above (``up``) or below the value of ``code``."""
    if fmt.is_nan_code(code):
        return math.nan
    sign_bit = 1 << (fmt.n_bits - 1) if fmt.signed else 0
    negative = bool(code & sign_bit)
    mag = code & fmt.mag_mask
    if fmt.is_inf_code(code):
        if negative == up:              # -inf going up, +inf going down
            return decode(sign_bit * negative | fmt.max_mag_code, fmt)
        return decode(code, fmt)
    if negative == up:                  # towards zero
        if mag == 0:                    # cross to the other sign
            if not fmt.signed:
                return math.nan
            other = 0 if negative else sign_bit
            return decode(other | (1 if fmt.subnormals else 0), fmt)
        if mag == 1 and fmt.subnormals and fmt.special == "fnuz" and negative:
            return 0.0
        return decode(code - 1, fmt)
    if mag == 0 and fmt.subnormals:     # away from +-0: smallest positive/negative
        return decode((sign_bit if not up else 0) | 1, fmt)
    if mag + 1 > fmt.max_mag_code:      # past the largest finite value
        return math.copysign(math.inf, 1 if up else -1) if fmt.has_inf else math.nan
    return decode(code + 1, fmt)


@dataclass
class Explanation:
    """How one number is stored in a float format, field by field.

    Lesson 2: Data types and sizes. Made by :func:`explain` and
    :func:`explain_code`; ``str()`` gives a text table, and in Jupyter
    ``_repr_html_`` shows the bits coloured sign / exponent / mantissa.

    ``exponent`` is the unbiased exponent (``emin`` for subnormals, None for
    zero, inf and NaN). ``next_up``/``next_down`` are NaN when there is no such
    value (above the largest finite number of a format without inf, below
    the smallest ``e8m0``). ``ulp`` is the spacing of the value's binade,
    ``2**(exponent - man_bits)``.

    >>> e = explain(0.1, "fp16")
    >>> e.bits, e.kind, e.exact, e.next_up
    ('0010111001100110', 'normal', Fraction(819, 8192), 0.10003662109375)
    """

    fmt: FloatFormat
    x: float | None
    code: int
    bits: str
    sign_bits: str
    exponent_bits: str
    mantissa_bits: str
    sign: int
    exponent: int | None
    kind: str
    value: float
    exact: Fraction | None
    abs_error: float | None
    rel_error: float | None
    next_up: float
    next_down: float
    ulp: float
    exponent_field: int
    mantissa_field: int

    @classmethod
    def from_code(cls, code: int, fmt: str | FloatFormat,
                  x: float | Fraction | None = None) -> Explanation:
        """Explain the bit pattern ``code``, optionally as the stored form of x."""
        fmt = get_format(fmt)
        code = _check_code(code, fmt)
        m, s = fmt.man_bits, int(fmt.signed)
        bits = format(code, f"0{fmt.n_bits}b")
        e_field = (code >> m) & ((1 << fmt.exp_bits) - 1)
        man = code & ((1 << m) - 1)
        exact = decode_exact(code, fmt)
        value = decode(code, fmt)
        if fmt.is_nan_code(code):
            kind = "nan"
        elif fmt.is_inf_code(code):
            kind = "inf"
        elif exact == 0:
            kind = "zero"
        elif fmt.subnormals and e_field == 0:
            kind = "subnormal"
        else:
            kind = "normal"
        exponent = {"normal": e_field - fmt.bias, "subnormal": fmt.emin}.get(kind)
        ulp = math.nan
        if exact is not None:
            e_ulp = fmt.emin if exponent is None else exponent
            ulp = float(Fraction(2) ** (e_ulp - m))
        abs_error = rel_error = None
        if x is not None and not (isinstance(x, float) and math.isnan(x)) and (
                kind != "nan"):
            if isinstance(x, float) and math.isinf(x) or kind == "inf":
                abs_error = 0.0 if value == x else math.inf
            else:
                abs_error = float(abs(exact - Fraction(x)))
                if x != 0:
                    rel_error = float(abs(exact - Fraction(x)) / abs(Fraction(x)))
        return cls(
            fmt=fmt, x=None if x is None else float(x), code=code, bits=bits,
            sign_bits=bits[:s], exponent_bits=bits[s:s + fmt.exp_bits],
            mantissa_bits=bits[s + fmt.exp_bits:], sign=-1 if value < 0 or (
                s and bits[0] == "1") else 1,
            exponent=exponent, kind=kind, value=value, exact=exact,
            abs_error=abs_error, rel_error=rel_error,
            next_up=_neighbour(code, fmt, up=True),
            next_down=_neighbour(code, fmt, up=False), ulp=ulp,
            exponent_field=e_field, mantissa_field=man)

    @property
    def meaning(self) -> dict[str, str]:
        """What each field means, in words: keys sign, exponent, mantissa."""
        fmt, m = self.fmt, self.fmt.man_bits
        sign = "+" if self.sign > 0 else "-"
        if not fmt.signed:
            sign = "no sign bit (always +)"
        if self.kind in ("inf", "nan") or (
                self.kind != "nan" and fmt.special == "ieee"
                and self.exponent_field == (1 << fmt.exp_bits) - 1):
            exp = "all ones: special value"
        elif self.kind in ("zero", "subnormal") and fmt.subnormals:
            exp = f"0: subnormal, 2^{fmt.emin}"
        else:
            exp = (f"{self.exponent_field} - bias {fmt.bias} = "
                   f"{self.exponent_field - fmt.bias}")
        if self.kind == "nan":
            man = "NaN payload" if fmt.special == "ieee" else "part of the NaN code"
        elif self.kind == "inf":
            man = "0: infinity"
        elif self.kind in ("zero", "subnormal") and fmt.subnormals:
            man = f"0 + {self.mantissa_field}/{1 << m}"
        elif m == 0:
            man = "no mantissa bits: significand 1"
        else:
            man = f"1 + {self.mantissa_field}/{1 << m}"
        return {"sign": sign, "exponent": exp, "mantissa": man}

    def _lines(self) -> list[tuple[str, str]]:
        mean = self.meaning
        rows = [("bits", f"{format_bits(self.code, self.fmt)}  (code {self.code} "
                 f"= {self.code:#x})")]
        if self.fmt.signed:
            rows.append(("sign", f"{self.sign_bits} -> {mean['sign']}"))
        rows += [("exponent", f"{self.exponent_bits} -> {mean['exponent']}"),
                 ("mantissa", f"{self.mantissa_bits or '(none)'} -> "
                  f"{mean['mantissa']}"),
                 ("kind", self.kind)]
        stored = repr(self.value)
        if self.exact is not None and self.exact.denominator != 1:
            stored += f" = {self.exact}"
        rows.append(("stored", stored))
        if self.abs_error is not None:
            err = f"abs {self.abs_error:.6g}"
            if self.rel_error is not None:
                err += f", rel {self.rel_error:.3g}"
            rows.append(("error", err))
        rows.append(("neighbours", f"down {self.next_down!r}, up {self.next_up!r}, "
                     f"ulp {self.ulp!r}"))
        return rows

    def __str__(self) -> str:
        head = f"{self.fmt.name}: "
        if self.x is None:
            head += f"code {self.code:#x} = {self.value!r}"
        else:
            head += f"{self.x!r} stored as {self.value!r}"
        return "\n".join([head] + [f"  {k:<10} {v}" for k, v in self._lines()])

    def _repr_html_(self) -> str:
        esc = html.escape
        spans = "".join(
            f'<span style="color:{c};font-weight:bold" title="{t}">{esc(b)}</span> '
            for b, c, t in [(self.sign_bits, SIGN_COLOUR, "sign"),
                            (self.exponent_bits, EXPONENT_COLOUR, "exponent"),
                            (self.mantissa_bits, MANTISSA_COLOUR, "mantissa")]
            if b)
        colours = {"sign": SIGN_COLOUR, "exponent": EXPONENT_COLOUR,
                   "mantissa": MANTISSA_COLOUR}
        rows = "".join(
            f'<tr><th style="text-align:left;color:{colours.get(k, "inherit")}">'
            f'{esc(k)}</th><td style="text-align:left">{esc(v)}</td></tr>'
            for k, v in self._lines()[1:])
        title = esc(str(self).splitlines()[0])
        return (f'<div class="course-explanation"><div>{title}</div>'
                f'<div style="font-family:monospace;font-size:1.3em">{spans}</div>'
                f"<table>{rows}</table></div>")


def explain(x: float, fmt: str | FloatFormat,
            saturate: bool | None = None) -> Explanation:
    """Store ``x`` in ``fmt`` and explain the result: fields, value, error, ulp.

    Lesson 2: Data types and sizes. ``saturate`` is as in :func:`encode`.

    >>> e = explain(300.0, "fp8_e4m3fn")
    >>> e.value, e.abs_error, e.ulp, e.next_up
    (288.0, 12.0, 32.0, 320.0)
    >>> print(explain(-1.5, "bf16"))
    bf16: -1.5 stored as -1.5
      bits       1 01111111 1000000  (code 49088 = 0xbfc0)
      sign       1 -> -
      exponent   01111111 -> 127 - bias 127 = 0
      mantissa   1000000 -> 1 + 64/128
      kind       normal
      stored     -1.5 = -3/2
      error      abs 0, rel 0
      neighbours down -1.5078125, up -1.4921875, ulp 0.0078125
    """
    fmt = get_format(fmt)
    code = encode(x, fmt, saturate=saturate)
    if isinstance(x, int | Fraction) and not isinstance(x, bool):
        x_in = Fraction(x)
    else:
        x_in = _as_float(x)
    return Explanation.from_code(code, fmt, x_in)


def _as_float(x: Any) -> float:
    if isinstance(x, torch.Tensor):
        return float(x.item())
    return float(x)


def explain_code(code: int | str, fmt: str | FloatFormat) -> Explanation:
    """Explain a bit pattern (an int or a bit string) of a float format.

    Lesson 2: Data types and sizes.

    >>> e = explain_code("0 0000 001", "fp8_e4m3fn")
    >>> e.kind, e.value, e.exponent, e.next_down
    ('subnormal', 0.001953125, -6, 0.0)
    """
    fmt = get_format(fmt)
    return Explanation.from_code(_check_code(code, fmt), fmt)
