"""Lesson 2's toolbox in one import: integer and float encodings, exact and fast.

``from course_utils import bits`` gives the names the lessons use; each lives in
the module that owns its idea:

- :mod:`course_utils.integers`: integer ranges, two's complement, bit strings;
- :mod:`course_utils.formats`: the float formats and their registry;
- :mod:`course_utils.codec`: exact encode/decode of one number;
- :mod:`course_utils.tensor_codec`: the same, vectorised over tensors;
- :mod:`course_utils.explain`: how one number is stored, field by field.

>>> from course_utils import bits
>>> bits.int_range(4), bits.format_bits(bits.encode(1.0, "fp16"), "fp16")
((-8, 7), '0 01111 0000000000')
"""

from __future__ import annotations

from course_utils.codec import decode, decode_exact, encode, format_bits
from course_utils.explain import Explanation, explain, explain_code
from course_utils.formats import (
    FORMATS,
    FloatFormat,
    get_format,
    split_fields,
)
from course_utils.integers import bits_to_int, int_range, int_to_bits, parse_bits
from course_utils.tensor_codec import all_values, decode_tensor, encode_tensor, fields

__all__ = [
    "FORMATS", "Explanation", "FloatFormat", "all_values", "bits_to_int", "decode",
    "decode_exact", "decode_tensor", "encode", "encode_tensor", "explain",
    "explain_code", "fields", "format_bits", "get_format", "int_range",
    "int_to_bits", "parse_bits", "split_fields",
]
