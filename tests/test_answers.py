"""Canonical forms of answers (course_utils.answers): every natural way to write
an answer is accepted, and nothing else."""

from __future__ import annotations

import pytest
import torch

from course_utils.answers import (
    AnswerFormatError,
    as_bits,
    as_dtype_name,
    as_field,
    as_float,
    as_int,
    as_pair,
    as_range,
    as_word,
    canonical,
)


@pytest.mark.parametrize("value", [[0, 255], (0, 255), ("0", "255"), range(256),
                                   torch.tensor([0, 255]), (0.0, 255.0),
                                   {"min": 0, "max": 255}])
def test_ranges_in_natural_forms(value):
    assert as_range(value) == (0, 255)


@pytest.mark.parametrize("value", [(0, 1, 2), "0, 255", 255, (0.5, 2), None,
                                   range(0, 10, 2), range(0)])
def test_bad_ranges_are_rejected(value):
    with pytest.raises(AnswerFormatError):
        as_range(value)


@pytest.mark.parametrize("value", ["00100001", "0010 0001", "0010_0001",
                                   "0b00100001", " 0B0010_0001 ", "0010'0001"])
def test_bit_strings_in_natural_forms(value):
    assert as_bits(value) == format(33, "08b")


@pytest.mark.parametrize("value", ["0010002", 33, "", "0b", None])
def test_bad_bit_strings_are_rejected(value):
    with pytest.raises(AnswerFormatError):
        as_bits(value)


def test_a_short_bit_string_is_a_form_not_an_error():
    # the width is a mistake the feedback names, not a form it refuses
    assert as_bits("100001") == "100001"


@pytest.mark.parametrize("value,expected", [
    ("Mantissa", "fraction"), ("fraction bits", "fraction"),
    ("SIGNIFICAND", "fraction"), ("exponent", "exponent"),
    ("Exponent field", "exponent"), ("sign", "sign"), ("mantisa", "mantisa"),
])
def test_field_names(value, expected):
    assert as_field(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("FP32", "float32"), ("float32", "float32"), (torch.float32, "float32"),
    ("bf16", "bfloat16"), ("BFloat16", "bfloat16"), ("torch.bfloat16", "bfloat16"),
    ("Half", "float16"), ("INT8", "int8"), ("i8", "int8"), ("uint8", "uint8"),
])
def test_dtype_names(value, expected):
    assert as_dtype_name(value) == expected


def test_unknown_dtype_names_are_rejected():
    for value in ("fp17", "", 3):
        with pytest.raises(AnswerFormatError):
            as_dtype_name(value)


def test_numbers_as_strings_and_tensors():
    assert as_int(" 213 ") == 213 and as_int("1_000") == 1000
    assert as_int(torch.tensor(-43)) == -43 and as_int(-43.0) == -43
    assert as_float("0.5") == 0.5 and as_float(torch.tensor([2.5])) == 2.5
    for bad in (-43.5, True, "x", torch.ones(2), float("inf")):
        with pytest.raises(AnswerFormatError):
            as_int(bad)
    for bad in (float("nan"), False, "y", [1.0]):
        with pytest.raises(AnswerFormatError):
            as_float(bad)


def test_pairs_and_words():
    assert as_pair([5, "10"]) == (5, 10)
    assert as_word(" Asymmetric ") == "asymmetric" and as_word("Above") == "higher"
    with pytest.raises(AnswerFormatError):
        as_pair((1, 2, 3))
    with pytest.raises(AnswerFormatError):
        canonical("word", 3)
    with pytest.raises(KeyError, match="no canonical form"):
        canonical("colour", "red")


def test_objects_that_equal_anything_are_not_accepted():
    class Anything:
        def __eq__(self, other):
            return True

    with pytest.raises(AnswerFormatError):
        as_range(Anything())
    weird = type("T", (tuple,), {"__eq__": lambda s, o: True,
                                 "__hash__": tuple.__hash__})((0, 1))
    form = as_range(weird)
    assert form == (0, 1) and type(form) is tuple and form != (0, 2)
    sneaky = type("S", (str,), {"__eq__": lambda s, o: True,
                                "__hash__": str.__hash__})("exponent")
    assert type(as_field(sneaky)) is str
