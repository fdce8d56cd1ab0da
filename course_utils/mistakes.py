"""The usual wrong answers, as rules: what each slip looks like and what it shows.

A rule either *derives* the wrong answers a slip produces from the right answer
(``candidates``: bits in reverse order, a range off by one), or *recognises* the
slip from the learner's answer alone (``matches``: a bit string of the wrong
width). Questions name the rules that apply to them in their declaration
(``tools/workbooks``); the generated catalogue keeps, for the self-check, only
keyed hashes of the derived wrong answers, and the hidden tests apply the rules
to the expected answer directly. Messages never contain the right answer: they
may only describe the learner's own answer (``{value}``, ``{length}``).

>>> RULES["bits_reversed"].candidates("00010111", {})
['11101000']
>>> RULES["place_value_slip"].details("00100011", {})
{'value': 35}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from course_utils.formats import get_format

__all__ = ["RULES", "Rule"]

Form = Any
Params = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """One catalogued slip.

    Attributes:
        id: its name, e.g. ``"bits_reversed"``.
        kinds: the answer kinds it applies to (see ``answers.KINDS``).
        description: the misconception, for the instructor's report.
        message: what the learner is told; ``{...}`` fields come from ``details``.
        candidates: right form, params -> the wrong forms this slip gives.
        matches: learner's form, params -> whether it shows this slip.
        details: learner's form, params -> the fields of ``message``.
    """

    id: str
    kinds: tuple[str, ...]
    description: str
    message: str
    candidates: Callable[[Form, Params], list[Form]] | None = None
    matches: Callable[[Form, Params], bool] | None = None
    details: Callable[[Form, Params], dict] = field(default=lambda got, p: {})

    def say(self, got: Form, params: Params) -> str:
        """The message for a learner whose answer is ``got``."""
        return self.message.format(**self.details(got, params))


def _signed_lo(right: tuple[int, int]) -> bool:
    return right[0] < 0


def _byte(right: int, n: int) -> int:
    return right % (1 << n)


def _other_widths(right: tuple[int, int], params: Params) -> list[tuple[int, int]]:
    """(exponent, fraction) widths of the other common formats."""
    widths = [(f.exp_bits, f.frac_bits) for f in map(get_format, ("fp32", "fp16",
                                                                   "bf16"))]
    return [w for w in widths if w != tuple(right)]


_RULES = [
    # ---------------------------------------------------------------- ranges
    Rule("range_swapped", ("range",),
         "a range given as (max, min)",
         "the two numbers are the wrong way round: give (min, max)",
         candidates=lambda r, p: [(r[1], r[0])]),
    Rule("range_max_power_of_two", ("range",),
         "2^n (or 2^(n-1)) as the largest value instead of one less",
         "the largest value is one less than a power of two: count from 0",
         candidates=lambda r, p: [(r[0], r[1] + 1)]),
    Rule("range_symmetric", ("range",),
         "the symmetric range -(2^(n-1)-1)..2^(n-1)-1 (e.g. +-127 for int8)",
         "this range is symmetric, but two's complement has one more negative "
         "number than positive ones",
         candidates=lambda r, p: [(r[0] + 1, r[1])] if _signed_lo(r) else []),
    Rule("range_other_signedness", ("range",),
         "the range of the other kind of integer (signed vs unsigned)",
         "this is the range of the other kind of integer: check signed vs "
         "unsigned",
         candidates=lambda r, p: [(0, r[1] - r[0])] if _signed_lo(r) else [
             (-(r[1] + 1) // 2, (r[1] - 1) // 2)]),
    # ------------------------------------------------------------------ bits
    Rule("bits_wrong_width", ("bits",),
         "a dropped leading zero, or the wrong number of bits",
         "write all {n_bits} bits, leading zeros too (this has {length})",
         matches=lambda got, p: len(got) != p["n_bits"],
         details=lambda got, p: {"n_bits": p["n_bits"], "length": len(got)}),
    Rule("bits_reversed", ("bits",),
         "bits written in reverse order (lowest place first)",
         "the bits are in reverse order: the highest place value comes first",
         candidates=lambda r, p: [r[::-1]] if r != r[::-1] else []),
    Rule("place_value_slip", ("bits",),
         "a place value added twice or skipped",
         "these bits stand for {value}: check which place values you added",
         candidates=lambda r, p: [
             format(v, f"0{len(r)}b") for k in range(len(r))
             for v in (int(r, 2) + (1 << k), int(r, 2) - (1 << k))
             if 0 <= v < 1 << len(r)],
         details=lambda got, p: {"value": int(got, 2)}),
    # ---------------------------------------------------- a byte read as ...
    Rule("read_as_signed", ("int",),
         "the two's complement (signed) reading given for the unsigned one",
         "this is the two's complement reading: unsigned bits have no negative "
         "place value",
         candidates=lambda v, p: [v - (1 << p["n_bits"])]
         if v >= 1 << (p["n_bits"] - 1) else []),
    Rule("read_as_unsigned", ("int",),
         "the unsigned reading given for the two's complement one",
         "this is the unsigned reading: in two's complement the top bit has a "
         "negative place value",
         candidates=lambda v, p: [v + (1 << p["n_bits"])] if v < 0 else []),
    Rule("sign_magnitude", ("int",),
         "the byte read as sign-magnitude (top bit = minus sign)",
         "this reads the top bit as a minus sign in front of the other bits "
         "(sign-magnitude); two's complement gives the top bit a negative place "
         "value",
         candidates=lambda v, p: [-(_byte(v, p["n_bits"])
                                    & ((1 << (p["n_bits"] - 1)) - 1))]
         if v < 0 else []),
    Rule("ones_complement", ("int",),
         "the byte read as one's complement (flip the bits, no +1)",
         "this is the one's complement reading: two's complement adds 1 after "
         "flipping the bits",
         candidates=lambda v, p: [v + 1] if v < 0 else []),
    # ------------------------------------------------------------ float fields
    Rule("fields_swapped", ("pair",),
         "exponent and fraction widths swapped",
         "the two numbers are the wrong way round: (exponent_bits, fraction_bits)",
         candidates=lambda r, p: [(r[1], r[0])]),
    Rule("fields_sign_counted", ("pair",),
         "the sign bit counted into a field",
         "the sign bit belongs to neither field: do not count it",
         candidates=lambda r, p: [(r[0] + 1, r[1]), (r[0], r[1] + 1)]),
    Rule("fields_other_format", ("pair",),
         "the field widths of another format (fp16 and bf16 mixed up)",
         "these are the field widths of another format: check which format has "
         "which",
         candidates=_other_widths),
    Rule("field_swapped", ("field",),
         "range and precision fields swapped",
         "that field sets the other property: one field gives the range, the "
         "other the precision",
         candidates=lambda r, p: [{"exponent": "fraction",
                                   "fraction": "exponent"}.get(r, r)]),
    Rule("field_sign", ("field",),
         "the sign bit named as the field",
         "the sign bit only says + or -: it sets neither range nor precision",
         matches=lambda got, p: got == "sign"),
    Rule("finfo_other_dtype", ("finfo",),
         "torch.finfo of the wrong dtype",
         "this object describes another dtype than the one asked for",
         candidates=lambda r, p: [f"finfo:{d}" for d in (
             "float16", "bfloat16", "float32", "float64") if f"finfo:{d}" != r]),
    Rule("iinfo_for_float", ("finfo",),
         "torch.iinfo (integer types) used for a float type",
         "torch.iinfo describes integer types; float types have their own object",
         matches=lambda got, p: got.startswith("iinfo:")),
]

#: Every rule, by id.
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
