"""Canonical forms of workbook answers: the natural ways to write one answer.

An answer is brought to one *canonical form* before it is compared, so that the
self-check, the graded hidden tests and the class report accept the same forms:
a range is a ``(min, max)`` tuple of ints (from a list, tuple, tensor or
``range``), a bit string has no spaces, ``_`` or ``0b``, a field or dtype name
any case with synonyms merged. :func:`canonical` dispatches on the *kind* of a
question (its declaration says which, see ``tools/workbooks``).

>>> canonical("range", [0, "15"]), canonical("bits", "0b0101_1010")
((0, 15), '01011010')
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from course_utils.dtypes import dtype_name
from course_utils.integers import parse_bits

__all__ = ["KINDS", "AnswerFormatError", "as_bits", "as_dtype_name", "as_field",
           "as_finfo", "as_float", "as_int", "as_pair", "as_range", "as_text",
           "as_word", "canonical", "describe"]


class AnswerFormatError(TypeError):
    """An answer that is not in any form the question accepts."""


_FIELD_SYNONYMS = {
    "sign": "sign", "s": "sign",
    "exponent": "exponent", "exp": "exponent", "e": "exponent",
    "fraction": "fraction", "frac": "fraction", "mantissa": "fraction",
    "significand": "fraction", "m": "fraction", "f": "fraction",
}

_WORD_SYNONYMS = {
    "asymmetric": "asymmetric", "asym": "asymmetric", "affine": "asymmetric",
    "symmetric": "symmetric", "sym": "symmetric", "scale": "symmetric",
    "higher": "higher", "above": "higher", "larger": "higher", "up": "higher",
    "lower": "lower", "below": "lower", "smaller": "lower", "down": "lower",
    "same": "same", "equal": "same",
}


def describe(value: Any) -> str:
    """A few words on what a value is, for messages (never its content).

    >>> describe([1, 2]), describe(3.5)
    ('a list of length 2', 'a float')
    """
    kind = type(value).__name__
    if isinstance(value, (list, tuple, dict, str)):
        return f"a {kind} of length {len(value)}"
    return f"a {kind}"


def _scalar(value: Any) -> Any:
    """A Python number from a 0-d/1-element tensor or numpy scalar."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(
            value, numbers.Number):
        try:
            if getattr(value, "numel", lambda: getattr(value, "size", 1))() != 1:
                raise AnswerFormatError(f"expected one number, got {describe(value)}")
            return value.item()
        except (TypeError, ValueError):
            raise AnswerFormatError(
                f"expected a number, got {describe(value)}") from None
    return value


def _items(value: Any) -> list | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and callable(value.tolist):
        items = value.tolist()
        return items if isinstance(items, list) else None
    return None


def as_int(value: Any) -> int:
    """Canonical integer: ints, integral floats, numeric strings, 0-d tensors.

    >>> as_int(" -7 "), as_int(12.0), as_int("1_000")
    (-7, 12, 1000)
    """
    if isinstance(value, bool):
        raise AnswerFormatError("expected a number, got a bool")
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise AnswerFormatError(
                    f"expected a whole number, got the text {value!r}") from None
    value = _scalar(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if math.isfinite(float(value)) and float(value) == int(value):
            return int(value)
        raise AnswerFormatError(f"expected a whole number, got {value!r}")
    raise AnswerFormatError(f"expected a whole number, got {describe(value)}")


def as_float(value: Any) -> float:
    """Canonical real number: floats, ints, numeric strings, 0-d tensors.

    >>> as_float("0.5"), as_float(2)
    (0.5, 2.0)
    """
    if isinstance(value, bool):
        raise AnswerFormatError("expected a number, got a bool")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace("_", ""))
        except ValueError:
            raise AnswerFormatError(f"expected a number, got {value!r}") from None
    value = _scalar(value)
    if not isinstance(value, numbers.Real):
        raise AnswerFormatError(f"expected a number, got {describe(value)}")
    result = float(value)
    if math.isnan(result):
        raise AnswerFormatError("expected a number, got NaN")
    return result


def as_pair(value: Any) -> tuple[int, int]:
    """Canonical pair of whole numbers, e.g. ``(exponent_bits, fraction_bits)``.

    >>> as_pair([3, "4"])
    (3, 4)
    """
    items = _items(value)
    if items is None or len(items) != 2:
        raise AnswerFormatError(f"expected a pair of numbers, got {describe(value)}")
    return (as_int(items[0]), as_int(items[1]))


def as_range(value: Any) -> tuple[int, int]:
    """Canonical range: a ``(min, max)`` tuple from a list, tuple, tensor or range.

    >>> as_range([0, "15"]), as_range(range(-8, 8)), as_range({"min": 0, "max": 3})
    ((0, 15), (-8, 7), (0, 3))
    """
    if isinstance(value, range):
        if value.step != 1 or len(value) == 0:
            raise AnswerFormatError(
                "expected (min, max), got an empty or stepped range")
        return (int(value.start), int(value.stop) - 1)
    if isinstance(value, dict) and set(value) == {"min", "max"}:
        value = (value["min"], value["max"])
    items = _items(value)
    if items is None or len(items) != 2:
        raise AnswerFormatError(
            f"expected a (min, max) pair of numbers, got {describe(value)}")
    return (as_int(items[0]), as_int(items[1]))


def as_bits(value: Any) -> str:
    """Canonical bit string: no spaces, ``_``, ``'`` or ``0b``; only 0 and 1.

    The width is not checked here: a missing leading zero is a mistake the
    feedback names, not a form it refuses.

    >>> as_bits("0b0101_1010"), as_bits("1010 1010")
    ('01011010', '10101010')
    """
    if not isinstance(value, str):
        raise AnswerFormatError(
            f"expected a bit string such as '0000 1111', got {describe(value)}")
    try:
        return parse_bits(value)
    except ValueError:
        raise AnswerFormatError(f"expected only 0s and 1s, got {value!r}") from None


def as_field(value: Any) -> str:
    """Canonical float field name: ``sign``, ``exponent`` or ``fraction``.

    Any case; "bits"/"field" ignored; mantissa, fraction, significand merged.

    >>> as_field("Mantissa bits"), as_field("EXPONENT")
    ('fraction', 'exponent')
    """
    if not isinstance(value, str):
        raise AnswerFormatError(f"expected a field name, got {describe(value)}")
    words = value.strip().lower().replace("_", " ").replace("-", " ").split()
    words = [w for w in words if w not in {"the", "bits", "bit", "field", "fields"}]
    text = " ".join(words)
    return _FIELD_SYNONYMS.get(text, text)


def as_dtype_name(value: Any) -> str:
    """Canonical dtype name (torch's): from a name in any case or a torch dtype.

    >>> as_dtype_name("BF16"), as_dtype_name("torch.float32"), as_dtype_name("Half")
    ('bfloat16', 'float32', 'float16')
    """
    try:
        return dtype_name(value)
    except (TypeError, ValueError):
        raise AnswerFormatError(
            f"expected a dtype name such as 'fp16', got {value!r}") from None


def as_word(value: Any) -> str:
    """Canonical one-word answer: lower case, synonyms merged (``asym``, ``up``).

    >>> as_word(" Asymmetric "), as_word("Above")
    ('asymmetric', 'higher')
    """
    if not isinstance(value, str):
        raise AnswerFormatError(f"expected a word, got {describe(value)}")
    text = value.strip().lower().rstrip(".")
    return _WORD_SYNONYMS.get(text, text)


def as_text(value: Any) -> str:
    """Canonical short text: stripped, lower case, inner spaces folded.

    >>> as_text("  BF16  then FP16 ")
    'bf16 then fp16'
    """
    if not isinstance(value, str):
        raise AnswerFormatError(f"expected a text, got {describe(value)}")
    return " ".join(value.lower().split())


def as_finfo(value: Any) -> str:
    """Canonical description object: the dtype a ``torch.finfo``/``iinfo`` is for.

    >>> import torch
    >>> as_finfo(torch.finfo(torch.float16))
    'finfo:float16'
    """
    import torch

    if isinstance(value, torch.finfo):
        return f"finfo:{as_dtype_name(value.dtype)}"
    if isinstance(value, torch.iinfo):
        return f"iinfo:{as_dtype_name(value.dtype)}"
    raise AnswerFormatError(f"expected a torch.finfo object, got {describe(value)}")


#: The canonical form of each kind of answer.
KINDS: dict[str, Callable[[Any], Any]] = {
    "int": as_int,
    "float": as_float,
    "pair": as_pair,
    "range": as_range,
    "bits": as_bits,
    "field": as_field,
    "dtype": as_dtype_name,
    "word": as_word,
    "text": as_text,
    "finfo": as_finfo,
}


def canonical(kind: str, value: Any) -> Any:
    """The canonical form of ``value`` as an answer of ``kind`` (see :data:`KINDS`).

    Raises:
        AnswerFormatError: the answer is in no accepted form.

    >>> canonical("field", "Exponent bits"), canonical("int", "213")
    ('exponent', 213)
    """
    if kind not in KINDS:
        raise KeyError(f"no canonical form for answers of kind {kind!r}; "
                       f"known: {', '.join(KINDS)}")
    return KINDS[kind](value)
