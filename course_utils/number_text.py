"""Numbers as learners type and read them: parsing and exact decimals (Lesson 2).

What the float explorer (and any learner) types is read exactly, so ``"0.1"``
means one tenth, not the double nearest to it; what a float stores is written out
exactly, since every float is a fraction with a power-of-two denominator.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["exact_decimal", "parse_number", "show_float"]


def parse_number(text: str | float | int | Fraction) -> Fraction | float:
    """Read what a learner typed: a decimal, a fraction, ``inf``, ``nan``, hex.

    Finite numbers come back as an exact ``Fraction`` (so ``"0.1"`` means exactly
    one tenth, not the double closest to it); ``inf``, ``nan`` and ``-0`` come
    back as floats. Introduced in lesson 2 (float explorer).

    >>> parse_number("1/3")
    Fraction(1, 3)
    >>> parse_number("0.1")
    Fraction(1, 10)
    >>> parse_number("-inf")
    -inf
    """
    if isinstance(text, Fraction):
        return text
    if isinstance(text, bool):
        raise TypeError("expected a number or a string such as '0.1', got a bool")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            return text
        if text == 0 and str(text).startswith("-"):
            return -0.0
        return Fraction(text)
    if not isinstance(text, str):
        raise TypeError(f"expected a number or a string, got {type(text).__name__}")
    s = text.strip().replace("_", "").replace(" ", "").replace("−", "-")
    low = s.lower()
    if low in {"inf", "+inf", "infinity", "+infinity", "-inf", "-infinity"}:
        return float(low)
    if low in {"nan", "+nan", "-nan"}:
        return float("nan")
    try:
        if low.lstrip("+-").startswith("0x"):
            value: Fraction | float = Fraction(float.fromhex(s))
        else:
            value = Fraction(s)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise ValueError(
            f"could not read {text!r} as a number: type e.g. 0.1, 1/3, -2.5e-3, "
            "inf or nan"
        ) from None
    if value == 0 and s.startswith("-"):
        return -0.0
    return value


def exact_decimal(value: Fraction, max_digits: int = 120) -> str:
    """Write a fraction with a power-of-two denominator as its exact decimal.

    Every float stores such a fraction, so its decimal expansion ends; it is cut
    after ``max_digits`` significant digits (marked with ``…``). Introduced in
    lesson 2.

    >>> exact_decimal(Fraction(1365, 4096))
    '0.333251953125'
    >>> exact_decimal(Fraction(-3, 2))
    '-1.5'
    """
    if not isinstance(value, Fraction):
        value = Fraction(value)
    sign = "-" if value < 0 else ""
    num, den = abs(value.numerator), value.denominator
    k = den.bit_length() - 1
    if den != 1 << k:  # not dyadic: an approximation with many digits
        from decimal import Context

        ctx = Context(prec=max_digits)
        approx = ctx.divide(num, den)
        return f"{sign}{approx:f}…"
    digits = str(num * 5 ** k)
    if k:
        digits = digits.rjust(k + 1, "0")
        int_part, frac_part = digits[:-k], digits[-k:].rstrip("0")
    else:
        int_part, frac_part = digits, ""
    out = int_part + ("." + frac_part if frac_part else "")
    significant = len(out.replace(".", "").lstrip("0"))
    if significant > max_digits:
        cut = len(out) - (significant - max_digits)
        out = out[:cut] + "…"
    return sign + out


def show_float(v: float | None) -> str:
    """A float as Python writes it (``repr``), ``"—"`` for None.

    >>> show_float(0.1), show_float(None), show_float(float("nan"))
    ('0.1', '—', 'nan')
    """
    if v is None:
        return "—"
    if v != v:
        return "nan"
    return repr(float(v))
