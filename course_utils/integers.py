"""Integers in bits: ranges, two's complement, bit strings (Lesson 2: Data types).

The one home of three rules every other module imports:

- :func:`check_n_bits`: what a bit width may be (an ``int``, within the caller's
  limits);
- :func:`int_range`: the ``n_bits`` range, ``[0, 2**n_bits - 1]`` unsigned and
  ``[-2**(n_bits - 1), 2**(n_bits - 1) - 1]`` signed (two's complement);
- :func:`parse_bits`: how a bit string may be written (spaces, ``_``, ``0b``).
"""

from __future__ import annotations

import operator
from typing import Any

__all__ = ["bits_to_int", "check_int", "check_n_bits", "int_range", "int_to_bits",
           "parse_bits"]


def check_n_bits(n_bits: Any, low: int = 1, high: int = 64,
                 allowed: tuple[int, ...] | None = None) -> int:
    """Return ``n_bits`` if it is an int from ``low`` to ``high`` (or in ``allowed``).

    Raises:
        TypeError: not an int (a bool is not a width).
        ValueError: outside the limits.

    >>> check_n_bits(8), check_n_bits(4, allowed=(1, 2, 4))
    (8, 4)
    >>> check_n_bits(9, 2, 8)
    Traceback (most recent call last):
    ...
    ValueError: n_bits must be from 2 to 8, got 9
    """
    if isinstance(n_bits, bool) or not isinstance(n_bits, int):
        raise TypeError(f"n_bits must be an int, got {type(n_bits).__name__} "
                        f"({n_bits!r})")
    if allowed is not None:
        if n_bits not in allowed:
            raise ValueError(f"n_bits must be one of "
                             f"{', '.join(map(str, allowed))}, got {n_bits}")
    elif not low <= n_bits <= high:
        raise ValueError(f"n_bits must be from {low} to {high}, got {n_bits}")
    return n_bits


def check_int(value: Any, what: str = "value") -> int:
    """Return ``value`` as an int if it is one (numpy and torch ints included).

    >>> check_int(3)
    3
    >>> check_int(2.0)
    Traceback (most recent call last):
    ...
    TypeError: value must be an int, got float (2.0)
    """
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got a bool ({value})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(value).__name__} "
                        f"({value!r})") from None


def int_range(n_bits: int, signed: bool = True) -> tuple[int, int]:
    """Smallest and largest integer that fits in ``n_bits`` bits (1 to 64).

    Lesson 2: Data types and sizes. Signed integers use two's complement.

    >>> int_range(4), int_range(4, signed=False), int_range(16)
    ((-8, 7), (0, 15), (-32768, 32767))
    """
    n_bits = check_n_bits(n_bits)
    if signed:
        return -(1 << (n_bits - 1)), (1 << (n_bits - 1)) - 1
    return 0, (1 << n_bits) - 1


def parse_bits(bits: str) -> str:
    """Canonical form of a bit string: only ``0``/``1``, no prefix or separators.

    Lesson 2: Data types and sizes. Accepts spaces, ``_`` and a ``0b`` prefix.

    >>> parse_bits("0b1101_0101"), parse_bits(" 0 01111 0000000000 ")
    ('11010101', '0011110000000000')
    """
    if not isinstance(bits, str):
        raise TypeError(f"bits must be a str of 0s and 1s, got {type(bits).__name__}")
    text = "".join(bits.split()).replace("_", "").replace("'", "")
    if text[:2] in ("0b", "0B"):
        text = text[2:]
    if not text or set(text) - {"0", "1"}:
        raise ValueError("expected a string of 0s and 1s (spaces, '_' and a '0b' "
                         f"prefix allowed), got {bits!r}")
    return text


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
    value = check_int(value)
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
