"""Property-based tests (hypothesis) for course_utils.bits."""

import math
from fractions import Fraction

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.bits import (
    FORMATS,
    FloatFormat,
    bits_to_int,
    decode,
    decode_exact,
    decode_tensor,
    encode,
    encode_tensor,
    explain_code,
    fields,
    int_range,
    int_to_bits,
)

SETTINGS = settings(max_examples=100, deadline=None)


@st.composite
def width_and_value(draw):
    n_bits = draw(st.integers(1, 64))
    signed = draw(st.booleans())
    low, high = int_range(n_bits, signed)
    return n_bits, signed, draw(st.integers(low, high))


@SETTINGS
@given(width_and_value(), st.lists(st.sampled_from([" ", "_", ""]), min_size=64,
                                   max_size=64), st.booleans())
def test_int_round_trip(nsv, separators, prefix):
    n_bits, signed, value = nsv
    text = int_to_bits(value, n_bits, signed)
    assert len(text) == n_bits
    spaced = "".join(b + sep for b, sep in zip(text, separators, strict=False))
    assert bits_to_int(("0b" if prefix else "") + spaced, signed) == value
    top = value >> (n_bits - 1)
    assert bits_to_int(text, not signed) == (
        value % (1 << n_bits) if signed else value - (top << n_bits))


@SETTINGS
@given(st.integers(1, 64), st.booleans(), st.integers(-(2**70), 2**70))
def test_int_out_of_range_is_rejected(n_bits, signed, value):
    low, high = int_range(n_bits, signed)
    if low <= value <= high:
        assert bits_to_int(int_to_bits(value, n_bits, signed), signed) == value
    else:
        try:
            int_to_bits(value, n_bits, signed)
        except ValueError as err:
            assert str(low) in str(err) and str(high) in str(err)
        else:
            raise AssertionError("out-of-range value accepted")


@st.composite
def float_formats(draw):
    """Random small formats, including every special-value convention."""
    exp_bits = draw(st.integers(1, 6))
    frac_bits = draw(st.integers(0, 6))
    signed = draw(st.booleans())
    specials = ["none", "fn"] + (["ieee"] if frac_bits >= 1 else [])
    specials += ["fnuz"] if signed else []
    special = draw(st.sampled_from(specials))
    if special == "fn" and exp_bits + frac_bits < 2:
        special = "none"
    bias = (1 << (exp_bits - 1)) - 1 + draw(st.integers(-3, 3))
    subnormals = draw(st.booleans()) if special != "ieee" else True
    return FloatFormat("h", exp_bits, frac_bits, bias, signed=signed, special=special,
                       subnormals=subnormals, saturate=draw(st.booleans()))


FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@SETTINGS
@given(float_formats(), st.data())
def test_decode_then_encode_is_identity(fmt, data):
    code = data.draw(st.integers(0, (1 << fmt.n_bits) - 1))
    value = decode(code, fmt)
    if math.isnan(value):
        assert fmt.is_nan_code(code) and decode_exact(code, fmt) is None
        return
    if math.isinf(value) and fmt.always_saturates:
        assert encode(value, fmt) == code - 1         # inf input saturates to max
        assert decode(code - 1, fmt) == math.copysign(fmt.max, value)
        return
    assert encode(value, fmt) == code
    again = decode_tensor(torch.tensor([code]), fmt).item()
    assert again == value and math.copysign(1, again) == math.copysign(1, value)


@SETTINGS
@given(float_formats(), st.lists(FINITE, min_size=1, max_size=20))
def test_encode_rounds_to_nearest_ties_to_even(fmt, xs):
    for x in xs:
        code = encode(x, fmt)
        exact = decode_exact(code, fmt)
        a = abs(x) if not fmt.signed else x
        if exact is None:                  # overflow to inf / NaN
            assert abs(Fraction(a)) > fmt.max_exact and not fmt.always_saturates
            continue
        err = abs(exact - Fraction(a))
        if abs(Fraction(a)) > fmt.max_exact:
            assert exact == fmt.max_exact * (1 if a > 0 else -1)
            continue
        e = explain_code(code, fmt)
        for other in (e.next_up, e.next_down):
            if math.isfinite(other):       # no representable value is closer
                other_err = abs(Fraction(other) - Fraction(a))
                assert err <= other_err
                if err == other_err and err != 0 and fmt.frac_bits >= 1:
                    assert code % 2 == 0 or (
                        fmt.special == "fnuz" and exact == 0)     # ties to even


@SETTINGS
@given(float_formats(), st.lists(st.floats(width=64), min_size=1, max_size=50),
       st.sampled_from([None, True, False]))
def test_vectorised_encode_matches_scalar(fmt, xs, saturate):
    if not fmt.has_nan:
        xs = [x for x in xs if not math.isnan(x)]
    if not xs:
        return
    vec = encode_tensor(torch.tensor(xs, dtype=torch.float64), fmt, saturate)
    assert vec.tolist() == [encode(x, fmt, saturate) for x in xs]
    s, e, m = fields(torch.tensor(xs, dtype=torch.float64), fmt)
    if saturate is None and fmt.torch_dtype is None:   # torch path: test_bits.py
        rebuilt = (s.to(torch.int64) << (fmt.n_bits - 1) if fmt.signed else 0) | (
            e.to(torch.int64) << fmt.frac_bits) | m
        assert rebuilt.tolist() == vec.tolist()


@SETTINGS
@given(st.sampled_from(sorted(n for n, f in FORMATS.items() if f.torch_dtype
                              is not None and f.n_bits <= 16)),
       st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=50))
def test_encode_matches_torch_cast_on_float32(name, xs):
    fmt = FORMATS[name]
    x = torch.tensor(xs, dtype=torch.float32)
    stored = x.to(fmt.torch_dtype).to(torch.float64)
    mine = decode_tensor(encode_tensor(x, fmt), fmt)
    same_nan = torch.isnan(stored) == torch.isnan(mine)
    assert bool(same_nan.all())
    ok = ~torch.isnan(stored)
    tiny = (x.abs().double() > 2.0**-127) & (x.abs().double() < 1.5 * 2.0**-127)
    if name == "e8m0":          # documented torch e8m0 quirk on fp32 subnormals
        ok &= ~tiny
    assert torch.equal(stored[ok], mine[ok])


@SETTINGS
@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6))
def test_encode_fraction_is_exact(x):
    code = encode(x, "fp16")
    exact = decode_exact(code, "fp16")
    e = explain_code(code, "fp16")
    assert abs(exact - x) <= abs(Fraction(e.next_up) - x)
    assert abs(exact - x) <= abs(Fraction(e.next_down) - x)


@SETTINGS
@given(float_formats(), st.data())
def test_exact_ties_go_to_even(fmt, data):
    code = data.draw(st.integers(0, fmt.max_mag_code - 1))     # positive, finite
    if fmt.is_nan_code(code):
        return
    low = decode_exact(code, fmt)
    high = decode_exact(code + 1, fmt)
    if high is None:
        return
    tie = (low + high) / 2
    got = encode(tie, fmt)
    if fmt.frac_bits >= 1:
        assert got == (code if code % 2 == 0 else code + 1)
    elif low == 0:            # significand 0 vs 1: zero is the even one
        assert got == code
    else:                     # significand 1 vs 2: the even one is the larger
        assert got == code + 1
    assert encode(tie + Fraction(1, 2**80), fmt) == code + 1
    assert encode(tie - Fraction(1, 2**80), fmt) == code
