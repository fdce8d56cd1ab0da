"""Float formats: the registry of named formats and their structure (Lesson 2).

A :class:`FloatFormat` says how many exponent and fraction bits a format has, its
bias and its special values; :data:`FORMATS` holds the course's 16 named formats
and :func:`get_format` finds one by name, alias, torch dtype or numpy dtype. The
course's one alias table of float names lives here (:mod:`course_utils.dtypes`
reads dtype names through it). Encoding and decoding values is in
:mod:`course_utils.codec`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import torch

from course_utils.integers import check_int

__all__ = ["FIELDS", "FORMATS", "SPECIALS", "SPECIAL_TEXT", "FloatFormat",
           "get_format", "normalise_name", "split_fields"]

#: The three fields of a float code, most significant first.
FIELDS = ("sign", "exponent", "fraction")

SPECIALS = ("ieee", "fn", "fnuz", "none")

#: What each kind of special values means, in words.
SPECIAL_TEXT = {
    "ieee": "inf and NaN (exponent all ones)",
    "fn": "no inf, NaN = all ones",
    "fnuz": "no inf, no -0, NaN = sign bit only",
    "none": "no inf, no NaN (overflow saturates)",
}


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    value = check_int(value, name)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: sign, exponent and fraction fields.

    Lesson 2: Data types and sizes.

    Args:
        name: short name, e.g. ``"fp16"``.
        exp_bits: exponent field width (1 to 11).
        frac_bits: fraction field width (0 to 52); others call it the mantissa.
        bias: exponent bias; a normal code means ``2**(E - bias) * (1 + M/2**m)``.
        signed: whether there is a sign bit (``e8m0`` has none).
        special: ``"ieee"`` (exponent all ones = inf/NaN), ``"fn"`` (no inf,
            NaN = all ones), ``"fnuz"`` (no inf, no -0, NaN = ``100..0``) or
            ``"none"`` (every code is a finite number).
        subnormals: ``False`` when exponent field 0 is an ordinary binade, so
            there is no zero (``e8m0``).
        saturate: default overflow rule of :func:`course_utils.bits.encode`:
            clamp to +-max instead of giving inf/NaN. Formats with
            ``special="none"`` always saturate.
        note: free text appended to :attr:`description`.

    >>> fmt = FloatFormat("my_e3m2", exp_bits=3, frac_bits=2, bias=3)
    >>> fmt.n_bits, fmt.max, fmt.min_normal, fmt.min_subnormal
    (6, 14.0, 0.25, 0.0625)
    """

    name: str
    exp_bits: int
    frac_bits: int
    bias: int
    signed: bool = True
    special: str = "ieee"
    subnormals: bool = True
    saturate: bool = False
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str, got {self.name!r}")
        _check_int("exp_bits", self.exp_bits, 1, 11)
        _check_int("frac_bits", self.frac_bits, 0, 52)
        _check_int("bias", self.bias, -(2**20), 2**20)
        for flag in ("signed", "subnormals", "saturate"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        if self.special not in SPECIALS:
            raise ValueError(f"special must be one of {SPECIALS}, got {self.special!r}")
        if self.n_bits > 64:
            raise ValueError(f"a format has at most 64 bits, got {self.n_bits}")
        if self.special == "ieee" and self.frac_bits == 0:
            raise ValueError("special='ieee' needs frac_bits >= 1 (inf and NaN differ "
                             "only in the fraction)")
        if self.special == "fnuz" and not self.signed:
            raise ValueError("special='fnuz' needs a sign bit (NaN is 100..0)")
        if self.special == "fn" and self.exp_bits + self.frac_bits < 2:
            raise ValueError("special='fn' needs at least 2 exponent+fraction bits")
        top = self.max_exact
        low = self.min_subnormal_exact
        if top >= 2**1024 or low < Fraction(1, 2**1074):
            raise ValueError(f"{self.name}: values must fit in float64 "
                             f"(exponent range too wide for bias {self.bias})")

    # ----- structure ---------------------------------------------------------
    @property
    def n_bits(self) -> int:
        """Total number of bits (sign + exponent + fraction)."""
        return int(self.signed) + self.exp_bits + self.frac_bits

    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number."""
        return (1 if self.subnormals else 0) - self.bias

    @property
    def emax(self) -> int:
        """Unbiased exponent of the largest finite number (OCP MX's ``emax``)."""
        return (self.max_mag_code >> self.frac_bits) - self.bias

    @property
    def field_spans(self) -> tuple[tuple[str, int, int], ...]:
        """``(field, first bit, width)`` of each field, counted from the left.

        The one rule for splitting a code into its fields; a field of width 0
        (no sign bit, no fraction bits) is left out.

        >>> get_format("fp16").field_spans
        (('sign', 0, 1), ('exponent', 1, 5), ('fraction', 6, 10))
        """
        widths = (int(self.signed), self.exp_bits, self.frac_bits)
        spans, start = [], 0
        for name, width in zip(FIELDS, widths, strict=True):
            if width:
                spans.append((name, start, width))
            start += width
        return tuple(spans)

    def field_of_bit(self, index: int) -> str:
        """The field of bit ``index`` counted from the left (0 = most significant).

        >>> get_format("bf16").field_of_bit(0), get_format("bf16").field_of_bit(9)
        ('sign', 'fraction')
        """
        for name, start, width in self.field_spans:
            if start <= index < start + width:
                return name
        raise ValueError(f"bit index must be in [0, {self.n_bits}) for {self.name}, "
                         f"got {index}")

    @property
    def has_inf(self) -> bool:
        """Whether the format has infinities."""
        return self.special == "ieee"

    @property
    def has_nan(self) -> bool:
        """Whether the format has NaN codes."""
        return self.special != "none"

    @property
    def always_saturates(self) -> bool:
        """True when overflow has nowhere to go but +-max."""
        return self.saturate or self.special == "none"

    @property
    def mag_mask(self) -> int:
        """Mask of the exponent and fraction bits (everything but the sign)."""
        return (1 << (self.exp_bits + self.frac_bits)) - 1

    @property
    def max_mag_code(self) -> int:
        """Largest finite code without its sign bit (codes grow with the value)."""
        if self.special == "ieee":
            return (((1 << self.exp_bits) - 2) << self.frac_bits) | (
                (1 << self.frac_bits) - 1)
        if self.special == "fn":
            return self.mag_mask - 1
        return self.mag_mask

    @property
    def nan_code(self) -> int | None:
        """The code :func:`encode` uses for NaN (None when there is no NaN)."""
        if self.special == "ieee":
            return (self.mag_mask >> self.frac_bits << self.frac_bits) | (
                1 << (self.frac_bits - 1))
        if self.special == "fn":
            return self.mag_mask
        if self.special == "fnuz":
            return 1 << (self.n_bits - 1)
        return None

    @property
    def inf_code(self) -> int | None:
        """Code of +inf (None when the format has no infinities)."""
        if self.special != "ieee":
            return None
        return self.mag_mask >> self.frac_bits << self.frac_bits

    def is_nan_code(self, code: int) -> bool:
        """Whether ``code`` is a NaN of this format."""
        mag = code & self.mag_mask
        if self.special == "ieee":
            return (mag >> self.frac_bits) == (self.mag_mask >> self.frac_bits) and (
                mag & ((1 << self.frac_bits) - 1)) != 0
        if self.special == "fn":
            return mag == self.mag_mask
        if self.special == "fnuz":
            return code == 1 << (self.n_bits - 1)
        return False

    def is_inf_code(self, code: int) -> bool:
        """Whether ``code`` is +inf or -inf of this format."""
        return self.special == "ieee" and (code & self.mag_mask) == self.inf_code

    def mag_value(self, mag: int) -> Fraction:
        """Exact value of a finite code without its sign bit."""
        m = self.frac_bits
        e_field, man = mag >> m, mag & ((1 << m) - 1)
        if self.subnormals and e_field == 0:
            return Fraction(man) * Fraction(2) ** (self.emin - m)
        return Fraction((1 << m) + man) * Fraction(2) ** (e_field - self.bias - m)

    # ----- numbers -----------------------------------------------------------
    @functools.cached_property
    def max_exact(self) -> Fraction:
        """Largest finite value, exactly."""
        return self.mag_value(self.max_mag_code)

    @functools.cached_property
    def min_subnormal_exact(self) -> Fraction:
        """Smallest positive value, exactly."""
        return self.mag_value(1 if self.subnormals else 0)

    @property
    def max(self) -> float:
        """Largest finite value."""
        return float(self.max_exact)

    @property
    def min_normal(self) -> float:
        """Smallest positive normal value, ``2**emin``."""
        return float(Fraction(2) ** self.emin)

    @property
    def min_subnormal(self) -> float:
        """Smallest positive value (equals min_normal without subnormals)."""
        return float(self.min_subnormal_exact)

    @property
    def eps(self) -> float:
        """Machine epsilon, ``2**-frac_bits``: the gap between 1 and the next value."""
        return float(Fraction(1, 2**self.frac_bits))

    @property
    def torch_dtype(self) -> Any:
        """The torch dtype whose casts follow exactly this format, or None."""
        name = _TORCH_DTYPES.get(self._key)
        return getattr(torch, name, None) if name else None

    @property
    def _key(self) -> tuple:
        return (self.exp_bits, self.frac_bits, self.bias, self.signed, self.special,
                self.subnormals, self.always_saturates)

    @property
    def description(self) -> str:
        """One line: fields, bias and special values."""
        sign = "1 sign, " if self.signed else "no sign, "
        text = (f"{self.name}: {self.n_bits} bits = {sign}{self.exp_bits} exponent, "
                f"{self.frac_bits} fraction; bias {self.bias}; "
                f"{SPECIAL_TEXT[self.special]}")
        if not self.subnormals:
            text += "; no zero, no subnormals"
        if self.saturate:
            text += "; overflow saturates"
        return text + (f"; {self.note}" if self.note else "")

    def __str__(self) -> str:
        return self.name


def _fmt(name: str, e: int, m: int, bias: int, **kw: Any) -> FloatFormat:
    return FloatFormat(name, e, m, bias, **kw)


FORMATS: dict[str, FloatFormat] = {
    f.name: f
    for f in [
        _fmt("fp64", 11, 52, 1023, note="IEEE 754 double (Python float)"),
        _fmt("fp32", 8, 23, 127, note="IEEE 754 single"),
        _fmt("tf32", 8, 10, 127, note="NVIDIA TensorFloat-32, 19 bits inside fp32"),
        _fmt("fp16", 5, 10, 15, note="IEEE 754 half"),
        _fmt("bf16", 8, 7, 127, note="bfloat16: fp32's range, 8-bit precision"),
        _fmt("fp8_e4m3fn", 4, 3, 7, special="fn", saturate=True,
             note="OCP FP8 E4M3; like torch, overflow saturates to +-448"),
        _fmt("fp8_e4m3fnuz", 4, 3, 8, special="fnuz", note="AMD/Graphcore FP8"),
        _fmt("fp8_e5m2", 5, 2, 15, note="OCP FP8 E5M2"),
        _fmt("fp8_e5m2fnuz", 5, 2, 16, special="fnuz", note="AMD/Graphcore FP8"),
        _fmt("fp8_e4m3", 4, 3, 7, note="IEEE-style E4M3 (ml_dtypes float8_e4m3), "
             "not OCP E4M3 = fp8_e4m3fn"),
        _fmt("fp8_e3m4", 3, 4, 3, note="IEEE-style (ml_dtypes float8_e3m4)"),
        _fmt("fp8_e4m3b11fnuz", 4, 3, 11, special="fnuz", note="bias 11"),
        _fmt("fp6_e2m3", 2, 3, 1, special="none", note="OCP MX FP6"),
        _fmt("fp6_e3m2", 3, 2, 3, special="none", note="OCP MX FP6"),
        _fmt("fp4_e2m1", 2, 1, 1, special="none", note="OCP MX FP4"),
        _fmt("e8m0", 8, 0, 127, signed=False, special="fn", subnormals=False,
             note="OCP MX block scale: powers of two 2**-127..2**127"),
    ]
}

# structure key -> torch attribute name (looked up lazily; absent in old torch)
_TORCH_DTYPES = {
    FORMATS[k]._key: v
    for k, v in {
        "fp64": "float64", "fp32": "float32", "fp16": "float16", "bf16": "bfloat16",
        "fp8_e4m3fn": "float8_e4m3fn", "fp8_e4m3fnuz": "float8_e4m3fnuz",
        "fp8_e5m2": "float8_e5m2", "fp8_e5m2fnuz": "float8_e5m2fnuz",
        "e8m0": "float8_e8m0fnu",
    }.items()
}

_ALIASES: dict[str, str] = {
    "float64": "fp64", "double": "fp64", "f64": "fp64", "binary64": "fp64",
    "float32": "fp32", "float": "fp32", "single": "fp32", "f32": "fp32",
    "binary32": "fp32",
    "float16": "fp16", "half": "fp16", "f16": "fp16", "binary16": "fp16",
    "bfloat16": "bf16", "bfloat": "bf16", "brainfloat16": "bf16",
    "tensorfloat32": "tf32", "tensorfloat_32": "tf32", "tensor_float_32": "tf32",
    "float8_e4m3fn": "fp8_e4m3fn", "e4m3fn": "fp8_e4m3fn",
    "float8_e4m3fnuz": "fp8_e4m3fnuz", "e4m3fnuz": "fp8_e4m3fnuz",
    "float8_e5m2": "fp8_e5m2", "e5m2": "fp8_e5m2",
    "float8_e5m2fnuz": "fp8_e5m2fnuz", "e5m2fnuz": "fp8_e5m2fnuz",
    "float8_e4m3": "fp8_e4m3", "float8_e3m4": "fp8_e3m4",
    "float8_e4m3b11fnuz": "fp8_e4m3b11fnuz",
    "float6_e2m3fn": "fp6_e2m3", "fp6_e2m3fn": "fp6_e2m3", "e2m3": "fp6_e2m3",
    "float6_e3m2fn": "fp6_e3m2", "fp6_e3m2fn": "fp6_e3m2", "e3m2": "fp6_e3m2",
    "float4_e2m1fn": "fp4_e2m1", "fp4_e2m1fn": "fp4_e2m1", "e2m1": "fp4_e2m1",
    "float4_e2m1fn_x2": "fp4_e2m1",
    "float8_e8m0fnu": "e8m0", "fp8_e8m0fnu": "e8m0", "e8m0fnu": "e8m0",
    "fp8_e8m0": "e8m0",
}


def normalise_name(name: str) -> str:
    """A format or dtype name in lower case, ``_`` for spaces and dashes, without
    a ``torch.``/``numpy.`` prefix.

    >>> normalise_name("torch.Float 16")
    'float_16'
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    for prefix in ("torch.", "ml_dtypes.", "numpy.", "np."):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


def get_format(fmt: str | FloatFormat | Any) -> FloatFormat:
    """Look up a float format by name, alias, torch dtype or numpy/ml_dtypes dtype.

    Lesson 2: Data types and sizes. Names are case-insensitive.

    >>> get_format("Half").name, get_format("bfloat16").name
    ('fp16', 'bf16')
    >>> import torch
    >>> get_format(torch.float8_e4m3fn).max
    448.0
    """
    if isinstance(fmt, FloatFormat):
        return fmt
    if isinstance(fmt, str):
        key = normalise_name(fmt)
    else:
        mod = type(fmt).__module__
        if mod.startswith("torch") and type(fmt).__name__ == "dtype":
            key = normalise_name(str(fmt))
        else:
            try:
                import numpy as np

                key = normalise_name(np.dtype(fmt).name)
            except TypeError:
                raise TypeError("fmt must be a format name, a FloatFormat or a "
                                f"dtype, got {type(fmt).__name__}") from None
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise ValueError(f"unknown float format {fmt!r}; expected a FloatFormat or "
                         f"one of {', '.join(FORMATS)} (or an alias like 'half')")
    return FORMATS[key]




def split_fields(bits: str, fmt: str | FloatFormat) -> dict[str, str]:
    """The sign, exponent and fraction bits of a bit string, by field name.

    A format without a sign bit (or without fraction bits) gives ``""`` there.

    >>> split_fields("0011110000000000", "fp16")
    {'sign': '0', 'exponent': '01111', 'fraction': '0000000000'}
    """
    fmt = get_format(fmt)
    if len(bits) != fmt.n_bits:
        raise ValueError(f"{fmt.name} codes have {fmt.n_bits} bits, got {len(bits)}")
    parts = dict.fromkeys(FIELDS, "")
    for name, start, width in fmt.field_spans:
        parts[name] = bits[start:start + width]
    return parts
