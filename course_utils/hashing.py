"""Keyed hashes of canonical answers, so the self-check stores no answer in clear.

The self-check compares ``answer_hash(key, canonical form)`` with the hash kept in
:mod:`course_utils._catalogue` (written by ``python -m tools.generate``). A hash
is keyed per question part, so equal answers to different questions differ.
Measured numbers are hashed by their logarithmic bin (:func:`float_bin`), so a
small tolerance is allowed.

These hashes keep an honest learner from stumbling on an answer; someone who
reads this module could still try every byte. Marks never depend on them: graded
answers are judged by the hidden tests, which the release does not contain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from typing import Any

__all__ = ["FLOAT_BIN", "FLOAT_RTOL", "answer_hash", "float_bin", "float_hashes",
           "part_key"]

#: Relative width of the bins measured numbers are hashed in (self-check only):
#: the self-check accepts within about 1.5 bins, the hidden tests within
#: ``FLOAT_RTOL``, so a number the self-check accepts is never graded wrong.
FLOAT_BIN = 0.002
#: Relative tolerance of the hidden tests for measured numbers.
FLOAT_RTOL = 0.005


def part_key(name: str, part: Any = None) -> str:
    """The key of one answer, or of one part of a dict answer: ``name[part]``.

    >>> part_key("uint8_bits", 33), part_key("int8_range")
    ('uint8_bits[33]', 'int8_range')
    """
    return name if part is None else f"{name}[{part}]"


def _key(name: str) -> bytes:
    return hashlib.sha256(f"quantization-fundamentals/{name}".encode()).digest()


def answer_hash(key: str, form: Any) -> str:
    """HMAC-SHA256 of a canonical form (as JSON), keyed by :func:`part_key`.

    >>> len(answer_hash("uint8_range", (0, 1)))
    64
    """
    text = json.dumps(form, sort_keys=True)
    return hmac.new(_key(key), text.encode(), hashlib.sha256).hexdigest()


def float_bin(value: float) -> list[int]:
    """Logarithmic bin ``[sign, index]`` of a measured number (width ``FLOAT_BIN``).

    >>> float_bin(1.0), float_bin(-1.0), float_bin(0.0)
    ([1, 0], [-1, 0], [0, 0])
    """
    if value == 0:
        return [0, 0]
    index = round(math.log(abs(value)) / math.log1p(FLOAT_BIN))
    return [1 if value > 0 else -1, index]


def float_hashes(key: str, value: float) -> set[str]:
    """Hashes of the bin of ``value`` and its two neighbours (the self-check's test).

    >>> answer_hash("x", float_bin(1.0)) in float_hashes("x", 1.001)
    True
    """
    sign, index = float_bin(value)
    return {answer_hash(key, [sign, i]) for i in (index - 1, index, index + 1)}
