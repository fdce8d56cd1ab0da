"""Explanations: how one number is stored in a float format, field by field.

Lesson 2: Data types and sizes. :func:`explain` stores a number and
:func:`explain_code` reads a bit pattern; both give an :class:`Explanation`
(fields, kind, exact value, error, neighbours, ULP) that prints as a text table
and shows as coloured HTML in Jupyter. The float explorer widget shows exactly
this HTML.

Vocabulary: ``exponent_field`` is the exponent as stored (biased); ``power`` is
the power of two it stands for, ``exponent_field - bias`` (``emin`` for
subnormals). The stored digits after the point are the *fraction* (others call
them the mantissa).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from fractions import Fraction

import torch

from course_utils.codec import check_code, decode, decode_exact, encode, format_bits
from course_utils.formats import SPECIAL_TEXT, FloatFormat, get_format, split_fields
from course_utils.number_text import exact_decimal, show_float
from course_utils.style import FIELD_COLOURS

__all__ = ["Explanation", "explain", "explain_code"]


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


def _kind(code: int, fmt: FloatFormat, exact: Fraction | None) -> str:
    if fmt.is_nan_code(code):
        return "nan"
    if fmt.is_inf_code(code):
        return "inf"
    if exact == 0:
        return "zero"
    if fmt.subnormals and (code & fmt.mag_mask) >> fmt.frac_bits == 0:
        return "subnormal"
    return "normal"


def _errors(x: float | Fraction | None, kind: str, value: float,
            exact: Fraction | None) -> tuple[float | None, float | None]:
    """Absolute and relative error of the stored value against ``x``."""
    if x is None or kind == "nan" or (isinstance(x, float) and math.isnan(x)):
        return None, None
    if isinstance(x, float) and math.isinf(x) or kind == "inf":
        return (0.0 if value == x else math.inf), None
    err = abs(exact - Fraction(x))
    return float(err), (float(err / abs(Fraction(x))) if x != 0 else None)


@dataclass(repr=False)
class Explanation:
    """How one number is stored in a float format, field by field.

    Lesson 2: Data types and sizes. Made by :func:`explain` and
    :func:`explain_code`; ``str()`` gives a text table, and in Jupyter
    :meth:`html` shows the bits coloured sign / exponent / fraction.

    ``x`` is the number that was stored (a float or an exact Fraction), None for
    a bit pattern. ``power`` is ``exponent_field - bias`` (``emin`` for
    subnormals, None for zero, inf and NaN). ``next_up``/``next_down`` are NaN
    when there is no such value (above the largest finite number of a format
    without inf, below the smallest ``e8m0``). ``ulp`` is the spacing of the
    value's binade, ``2**(power - frac_bits)``.

    >>> e = explain(0.1, "fp16")
    >>> e.bits, e.kind, e.exact, e.next_up
    ('0010111001100110', 'normal', Fraction(819, 8192), 0.10003662109375)
    """

    fmt: FloatFormat
    x: float | Fraction | None
    code: int
    bits: str
    sign_bits: str
    exponent_bits: str
    fraction_bits: str
    sign: int
    exponent_field: int
    fraction_field: int
    power: int | None
    kind: str
    value: float
    exact: Fraction | None
    abs_error: float | None
    rel_error: float | None
    next_up: float
    next_down: float
    ulp: float

    @classmethod
    def from_code(cls, code: int | str, fmt: str | FloatFormat,
                  x: float | Fraction | None = None) -> Explanation:
        """Explain the bit pattern ``code``, optionally as the stored form of x."""
        fmt = get_format(fmt)
        code = check_code(code, fmt)
        bits = format(code, f"0{fmt.n_bits}b")
        parts = split_fields(bits, fmt)
        exact = decode_exact(code, fmt)
        value = decode(code, fmt)
        kind = _kind(code, fmt, exact)
        e_field = (code >> fmt.frac_bits) & ((1 << fmt.exp_bits) - 1)
        power = {"normal": e_field - fmt.bias, "subnormal": fmt.emin}.get(kind)
        ulp = math.nan
        if exact is not None:
            ulp = float(Fraction(2) ** ((fmt.emin if power is None else power)
                                        - fmt.frac_bits))
        abs_error, rel_error = _errors(x, kind, value, exact)
        negative = value < 0 or (fmt.signed and bits[0] == "1")
        return cls(
            fmt=fmt, x=x, code=code, bits=bits, sign_bits=parts["sign"],
            exponent_bits=parts["exponent"], fraction_bits=parts["fraction"],
            sign=-1 if negative else 1, exponent_field=e_field,
            fraction_field=code & ((1 << fmt.frac_bits) - 1), power=power,
            kind=kind, value=value, exact=exact, abs_error=abs_error,
            rel_error=rel_error, next_up=_neighbour(code, fmt, up=True),
            next_down=_neighbour(code, fmt, up=False), ulp=ulp)

    @property
    def meaning(self) -> dict[str, str]:
        """What each field means, in words: keys sign, exponent, fraction."""
        fmt, m = self.fmt, self.fmt.frac_bits
        sign = ("+" if self.sign > 0 else "-") if fmt.signed else (
            "no sign bit (always +)")
        if self.kind in ("inf", "nan") or (
                fmt.special == "ieee"
                and self.exponent_field == (1 << fmt.exp_bits) - 1):
            exp = "all ones: special value"
        elif self.kind in ("zero", "subnormal") and fmt.subnormals:
            exp = f"0: subnormal, 2^{fmt.emin}"
        else:
            exp = f"{self.exponent_field} - bias {fmt.bias} = {self.power}"
        if self.kind == "nan":
            frac = "NaN payload" if fmt.special == "ieee" else "part of the NaN code"
        elif self.kind == "inf":
            frac = "0: infinity"
        elif self.kind in ("zero", "subnormal") and fmt.subnormals:
            frac = f"0 + {self.fraction_field}/{1 << m}"
        elif m == 0:
            frac = "no fraction bits: significand 1"
        else:
            frac = f"1 + {self.fraction_field}/{1 << m}"
        return {"sign": sign, "exponent": exp, "fraction": frac}

    def rows(self) -> list[tuple[str, str]]:
        """The read-out as ``(label, text)`` rows, shared by text and HTML."""
        mean = self.meaning
        rows = [("bits", f"{format_bits(self.code, self.fmt)}  (code {self.code} "
                 f"= {self.code:#x})")]
        if self.fmt.signed:
            rows.append(("sign", f"{self.sign_bits} -> {mean['sign']}"))
        rows += [("exponent", f"{self.exponent_bits} -> {mean['exponent']}"),
                 ("fraction", f"{self.fraction_bits or '(none)'} -> "
                  f"{mean['fraction']}"),
                 ("kind", self.kind)]
        stored = repr(self.value)
        if self.exact is not None and self.exact.denominator != 1:
            stored += f" = {self.exact}"
        rows.append(("stored", stored))
        if self.exact is not None and self.exact.denominator != 1:
            rows.append(("decimal", exact_decimal(self.exact)))
        if self.abs_error is not None:
            err = f"abs {self.abs_error:.6g}"
            if self.rel_error is not None:
                err += f", rel {self.rel_error:.3g}"
            if self.abs_error == 0:
                err += " (stored exactly)"
            rows.append(("error", err))
        rows.append(("neighbours", f"next down {show_float(self.next_down)}, "
                     f"next up {show_float(self.next_up)}, ulp {self.ulp!r}"))
        return rows

    def title(self) -> str:
        """One line: the format and what is stored."""
        head = f"{self.fmt.name}: "
        if self.x is None:
            return head + f"code {self.code:#x} = {self.value!r}"
        shown = self.x if isinstance(self.x, float) else str(self.x)
        return head + f"{shown!s} stored as {self.value!r}"

    def __str__(self) -> str:
        return "\n".join([self.title()]
                         + [f"  {k:<10} {v}" for k, v in self.rows()])

    def __repr__(self) -> str:  # the text table, not the fields' widths
        return str(self)

    def html(self, note: str = "") -> str:
        """The coloured read-out (bits by field, then the rows), with a note line.

        The float explorer passes the error against what the learner typed as
        ``note``.
        """
        esc = html.escape
        spans = "".join(
            f'<span style="color:{FIELD_COLOURS[f]};font-weight:bold" '
            f'title="{f}">{esc(b)}</span> '
            for f, b in (("sign", self.sign_bits), ("exponent", self.exponent_bits),
                         ("fraction", self.fraction_bits)) if b)
        body = "".join(
            f'<tr><th style="text-align:left;color:{FIELD_COLOURS.get(k, "inherit")}'
            f'">{esc(k)}</th><td style="text-align:left">{esc(v)}</td></tr>'
            for k, v in self.rows()[1:])
        extra = f"<div>{note}</div>" if note else ""
        return (f'<div class="course-explanation"><div><b>{esc(self.title())}</b>'
                f' ({esc(describe(self.fmt))})</div>'
                f'<div class="cu-bits" style="font-family:monospace;font-size:1.3em">'
                f'{spans}</div>'
                f"<table>{body}</table>{extra}</div>")

    def _repr_html_(self) -> str:
        return self.html()


def describe(fmt: FloatFormat) -> str:
    """Bits, bias and special values of a format, without the field widths.

    The widths are left for the learner to count on the coloured bits (the
    workbook asks for them).

    >>> describe(get_format("fp16"))
    '16 bits; bias 15; inf and NaN (exponent all ones); IEEE 754 half'
    """
    parts = [f"{fmt.n_bits} bits", f"bias {fmt.bias}", SPECIAL_TEXT[fmt.special]]
    if not fmt.subnormals:
        parts.append("no zero, no subnormals")
    if fmt.note:
        parts.append(fmt.note)
    return "; ".join(parts)


def explain(x: float | Fraction | int, fmt: str | FloatFormat,
            saturate: bool | None = None) -> Explanation:
    """Store ``x`` in ``fmt`` and explain the result: fields, value, error, ulp.

    Lesson 2: Data types and sizes. ``saturate`` is as in
    :func:`course_utils.codec.encode`. Ints and Fractions are stored exactly as
    given (``Fraction(1, 3)`` is one third, not the double nearest to it).

    >>> e = explain(300.0, "fp8_e4m3fn")
    >>> e.value, e.abs_error, e.ulp, e.next_up
    (288.0, 12.0, 32.0, 320.0)
    >>> print(explain(-1.5, "bf16"))
    bf16: -1.5 stored as -1.5
      bits       1 01111111 1000000  (code 49088 = 0xbfc0)
      sign       1 -> -
      exponent   01111111 -> 127 - bias 127 = 0
      fraction   1000000 -> 1 + 64/128
      kind       normal
      stored     -1.5 = -3/2
      decimal    -1.5
      error      abs 0, rel 0 (stored exactly)
      neighbours next down -1.5078125, next up -1.4921875, ulp 0.0078125
    """
    fmt = get_format(fmt)
    code = encode(x, fmt, saturate=saturate)
    if isinstance(x, int | Fraction) and not isinstance(x, bool):
        x_in: float | Fraction = Fraction(x)
    elif isinstance(x, torch.Tensor):
        x_in = float(x.item())
    else:
        x_in = float(x)
    return Explanation.from_code(code, fmt, x_in)


def explain_code(code: int | str, fmt: str | FloatFormat) -> Explanation:
    """Explain a bit pattern (an int or a bit string) of a float format.

    Lesson 2: Data types and sizes.

    >>> e = explain_code("0 0000 001", "fp8_e4m3fn")
    >>> e.kind, e.value, e.power, e.next_down
    ('subnormal', 0.001953125, -6, 0.0)
    """
    return Explanation.from_code(code, fmt)
