"""Float formats, their registry and exact encode/decode behind ``course_utils.bits``.

Private helper of :mod:`course_utils.bits` (Lesson 2: Data types and sizes); import
the public names from there.
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import torch

SPECIALS = ("ieee", "fn", "fnuz", "none")

_SPECIAL_TEXT = {
    "ieee": "inf and NaN (exponent all ones)",
    "fn": "no inf, NaN = all ones",
    "fnuz": "no inf, no -0, NaN = sign bit only",
    "none": "no inf, no NaN (overflow saturates)",
}


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: sign, exponent and mantissa fields.

    Lesson 2: Data types and sizes.

    Args:
        name: short name, e.g. ``"fp16"``.
        exp_bits: exponent field width (1 to 11).
        man_bits: mantissa (fraction) field width (0 to 52).
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

    >>> fmt = FloatFormat("my_e3m2", exp_bits=3, man_bits=2, bias=3)
    >>> fmt.n_bits, fmt.max, fmt.min_normal, fmt.min_subnormal
    (6, 14.0, 0.25, 0.0625)
    """

    name: str
    exp_bits: int
    man_bits: int
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
        _check_int("man_bits", self.man_bits, 0, 52)
        _check_int("bias", self.bias, -(2**20), 2**20)
        for flag in ("signed", "subnormals", "saturate"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        if self.special not in SPECIALS:
            raise ValueError(f"special must be one of {SPECIALS}, got {self.special!r}")
        if self.n_bits > 64:
            raise ValueError(f"a format has at most 64 bits, got {self.n_bits}")
        if self.special == "ieee" and self.man_bits == 0:
            raise ValueError("special='ieee' needs man_bits >= 1 (inf and NaN differ "
                             "only in the mantissa)")
        if self.special == "fnuz" and not self.signed:
            raise ValueError("special='fnuz' needs a sign bit (NaN is 100..0)")
        if self.special == "fn" and self.exp_bits + self.man_bits < 2:
            raise ValueError("special='fn' needs at least 2 exponent+mantissa bits")
        top = self.max_exact
        low = self.min_subnormal_exact
        if top >= 2**1024 or low < Fraction(1, 2**1074):
            raise ValueError(f"{self.name}: values must fit in float64 "
                             f"(exponent range too wide for bias {self.bias})")

    # ----- structure ---------------------------------------------------------
    @property
    def n_bits(self) -> int:
        """Total number of bits (sign + exponent + mantissa)."""
        return int(self.signed) + self.exp_bits + self.man_bits

    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number."""
        return (1 if self.subnormals else 0) - self.bias

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
        """Mask of the exponent and mantissa bits (everything but the sign)."""
        return (1 << (self.exp_bits + self.man_bits)) - 1

    @property
    def max_mag_code(self) -> int:
        """Largest finite code without its sign bit (codes grow with the value)."""
        if self.special == "ieee":
            return (((1 << self.exp_bits) - 2) << self.man_bits) | (
                (1 << self.man_bits) - 1)
        if self.special == "fn":
            return self.mag_mask - 1
        return self.mag_mask

    @property
    def nan_code(self) -> int | None:
        """The code :func:`encode` uses for NaN (None when there is no NaN)."""
        if self.special == "ieee":
            return (self.mag_mask >> self.man_bits << self.man_bits) | (
                1 << (self.man_bits - 1))
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
        return self.mag_mask >> self.man_bits << self.man_bits

    def is_nan_code(self, code: int) -> bool:
        """Whether ``code`` is a NaN of this format."""
        mag = code & self.mag_mask
        if self.special == "ieee":
            return (mag >> self.man_bits) == (self.mag_mask >> self.man_bits) and (
                mag & ((1 << self.man_bits) - 1)) != 0
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
        m = self.man_bits
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
        """Machine epsilon, ``2**-man_bits``: the gap between 1 and the next value."""
        return float(Fraction(1, 2**self.man_bits))

    @property
    def torch_dtype(self) -> Any:
        """The torch dtype whose casts follow exactly this format, or None."""
        name = _TORCH_DTYPES.get(self._key)
        return getattr(torch, name, None) if name else None

    @property
    def _key(self) -> tuple:
        return (self.exp_bits, self.man_bits, self.bias, self.signed, self.special,
                self.subnormals, self.always_saturates)

    @property
    def description(self) -> str:
        """One line: fields, bias and special values."""
        sign = "1 sign, " if self.signed else "no sign, "
        text = (f"{self.name}: {self.n_bits} bits = {sign}{self.exp_bits} exponent, "
                f"{self.man_bits} mantissa; bias {self.bias}; "
                f"{_SPECIAL_TEXT[self.special]}")
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
    "bfloat16": "bf16", "bfloat": "bf16",
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


def _normalise(name: str) -> str:
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
        key = _normalise(fmt)
    else:
        mod = type(fmt).__module__
        if mod.startswith("torch") and type(fmt).__name__ == "dtype":
            key = _normalise(str(fmt))
        else:
            try:
                import numpy as np

                key = _normalise(np.dtype(fmt).name)
            except TypeError:
                raise TypeError("fmt must be a format name, a FloatFormat or a "
                                f"dtype, got {type(fmt).__name__}") from None
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise ValueError(f"unknown float format {fmt!r}; expected a FloatFormat or "
                         f"one of {', '.join(FORMATS)} (or an alias like 'half')")
    return FORMATS[key]


# ============================================================================
# Bit strings
# ============================================================================
def _check_int_value(value: Any, what: str = "value") -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got a bool ({value})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(value).__name__} "
                        f"({value!r})") from None


def parse_bits(bits: str) -> str:
    """Canonical form of a bit string: only ``0``/``1``, no prefix or separators.

    Lesson 2: Data types and sizes. Accepts spaces, ``_`` and a ``0b`` prefix.

    >>> parse_bits("0b1101_0101"), parse_bits(" 0 01111 0000000000 ")
    ('11010101', '0011110000000000')
    """
    if not isinstance(bits, str):
        raise TypeError(f"bits must be a str of 0s and 1s, got {type(bits).__name__}")
    text = bits.strip()
    if text[:2] in ("0b", "0B"):
        text = text[2:]
    text = "".join(text.split()).replace("_", "")
    if not text or set(text) - {"0", "1"}:
        raise ValueError("expected a string of 0s and 1s (spaces, '_' and a '0b' "
                         f"prefix allowed), got {bits!r}")
    return text


# ============================================================================
# Floats: scalar, exact
# ============================================================================
def _check_code(code: Any, fmt: FloatFormat) -> int:
    if isinstance(code, str):
        text = parse_bits(code)
        if len(text) != fmt.n_bits:
            raise ValueError(f"{fmt.name} codes have {fmt.n_bits} bits, got "
                             f"{len(text)} in {code!r}")
        return int(text, 2)
    code = _check_int_value(code, "code")
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
    code = _check_code(code, fmt)
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
    code = _check_code(code, fmt)
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
    m = fmt.man_bits
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
    so with no mantissa bits 1.5 rounds up to 2 (as both libraries do). For
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


# ============================================================================
# Floats: tensors, vectorised
# ============================================================================
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
    m = fmt.man_bits
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
    m = fmt.man_bits
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


