"""course_utils.bits against torch casts and ml_dtypes (independent references)."""

import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import torch

from course_utils.bits import (
    FORMATS,
    FloatFormat,
    all_values,
    bits_to_int,
    decode,
    decode_exact,
    decode_tensor,
    encode,
    encode_tensor,
    explain,
    explain_code,
    fields,
    format_bits,
    get_format,
    int_range,
    int_to_bits,
    parse_bits,
)

TORCH = {
    "fp8_e4m3fn": torch.float8_e4m3fn, "fp8_e4m3fnuz": torch.float8_e4m3fnuz,
    "fp8_e5m2": torch.float8_e5m2, "fp8_e5m2fnuz": torch.float8_e5m2fnuz,
    "e8m0": torch.float8_e8m0fnu, "fp16": torch.float16, "bf16": torch.bfloat16,
    "fp32": torch.float32, "fp64": torch.float64,
}
ML = {
    "fp8_e4m3fn": ml_dtypes.float8_e4m3fn, "fp8_e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "fp8_e5m2": ml_dtypes.float8_e5m2, "fp8_e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "fp8_e4m3": ml_dtypes.float8_e4m3, "fp8_e3m4": ml_dtypes.float8_e3m4,
    "fp8_e4m3b11fnuz": ml_dtypes.float8_e4m3b11fnuz,
    "fp6_e2m3": ml_dtypes.float6_e2m3fn, "fp6_e3m2": ml_dtypes.float6_e3m2fn,
    "fp4_e2m1": ml_dtypes.float4_e2m1fn, "e8m0": ml_dtypes.float8_e8m0fnu,
    "fp16": np.float16, "bf16": ml_dtypes.bfloat16, "fp32": np.float32,
}
# numpy warns when a cast overflows to inf or a NaN pattern is cast; both expected
pytestmark = pytest.mark.filterwarnings(
    "ignore:overflow encountered in cast:RuntimeWarning",
    "ignore:invalid value encountered in cast:RuntimeWarning")
SMALL = [name for name, f in FORMATS.items() if f.n_bits <= 8]
REQUIRED = ["fp32", "fp16", "bf16", "tf32", "fp8_e4m3fn", "fp8_e4m3fnuz", "fp8_e5m2",
            "fp8_e5m2fnuz", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "e8m0"]


# ---------------------------------------------------------------- helpers
def torch_codes(x32: np.ndarray, name: str) -> np.ndarray:
    """Codes torch stores for float32 values (one torch cast)."""
    dtype = TORCH[name]
    view = {1: torch.uint8, 2: torch.int16, 4: torch.int32}[dtype.itemsize]
    raw = torch.from_numpy(x32).to(dtype).view(view).to(torch.int64)
    return (raw & ((1 << (8 * dtype.itemsize)) - 1)).numpy()


def ml_codes(x32: np.ndarray, name: str) -> np.ndarray:
    """Codes ml_dtypes (or numpy) stores for float32 values."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = x32.astype(ML[name])
    view = {1: np.uint8, 2: np.uint16, 4: np.uint32}[out.dtype.itemsize]
    return out.view(view).astype(np.int64)


def ref_values(codes: np.ndarray, name: str, lib: str) -> np.ndarray:
    """float64 values of codes, decoded by torch or ml_dtypes."""
    if lib == "torch":
        dtype = TORCH[name]
        view = {1: torch.uint8, 2: torch.int16, 4: torch.int32}[dtype.itemsize]
        raw = torch.from_numpy(codes.astype(np.int64)).to(view)
        return raw.view(dtype).to(torch.float64).numpy()
    dtype = np.dtype(ML[name])
    view = {1: np.uint8, 2: np.uint16, 4: np.uint32}[dtype.itemsize]
    with np.errstate(invalid="ignore"):
        return codes.astype(view).view(dtype).astype(np.float64)


def same_values(a: np.ndarray, b: np.ndarray) -> None:
    """Equal as floats, including the sign of zero; NaN compared with isnan."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    np.testing.assert_array_equal(a[ok], b[ok])
    np.testing.assert_array_equal(np.signbit(a[ok]), np.signbit(b[ok]))


def same_codes(mine: np.ndarray, ref: np.ndarray, name: str) -> None:
    """Codes equal, except that any NaN code matches any NaN code."""
    mine_v = decode_tensor(torch.as_tensor(mine), name).numpy()
    ref_v = decode_tensor(torch.as_tensor(ref), name).numpy()
    np.testing.assert_array_equal(np.isnan(mine_v), np.isnan(ref_v))
    ok = ~np.isnan(ref_v)
    np.testing.assert_array_equal(np.asarray(mine)[ok], np.asarray(ref)[ok])


def probes(name: str) -> np.ndarray:
    """float32 inputs between and around every value of a small format."""
    fmt = FORMATS[name]
    v = all_values(name).numpy()
    pos = np.unique(v[np.isfinite(v) & (v >= 0)])
    mid = (pos[:-1] + pos[1:]) / 2                       # exact ties
    quarter = np.concatenate([pos[:-1] * 0.75 + pos[1:] * 0.25,
                              pos[:-1] * 0.25 + pos[1:] * 0.75])
    mid32 = mid.astype(np.float32)
    assert np.array_equal(mid32.astype(np.float64), mid)  # ties exact in fp32
    around = np.concatenate([np.nextafter(mid32, np.float32(np.inf)),
                             np.nextafter(mid32, np.float32(0))])
    top, step = pos[-1], pos[-1] - pos[-2]
    over = top + step * np.arange(1, 17) / 4             # overflow region + ties
    low = pos[pos > 0][0]
    tiny = np.array([low / 2, low / 4, low * 0.75, np.float32(low / 2) * 1.0001])
    specials = np.array([0.0, 1e30, 3.0e38, np.inf, 1e-40, 1e-45])
    x = np.concatenate([pos, mid, quarter, around, over, tiny, specials])
    with np.errstate(over="ignore"):
        x = x.astype(np.float32)
    x = np.concatenate([x, -x])
    if fmt.has_nan:
        x = np.concatenate([x, np.array([np.nan], np.float32)])
    return x


# ---------------------------------------------------------------- integers
def test_int_range_examples():
    assert int_range(8) == (-128, 127)
    assert int_range(8, signed=False) == (0, 255)
    assert int_range(1) == (-1, 0)
    assert int_range(1, signed=False) == (0, 1)
    assert int_range(64) == (-(2**63), 2**63 - 1)
    assert int_range(4) == (int(np.iinfo(np.int8).min) >> 4, 7)


@pytest.mark.parametrize("n_bits", [1, 2, 3, 4, 5, 8, 10])
@pytest.mark.parametrize("signed", [True, False])
def test_int_round_trip_every_value(n_bits, signed):
    low, high = int_range(n_bits, signed)
    seen = set()
    for value in range(low, high + 1):
        text = int_to_bits(value, n_bits, signed)
        assert len(text) == n_bits and set(text) <= {"0", "1"}
        assert text == np.binary_repr(value, width=n_bits)   # numpy as reference
        assert bits_to_int(text, signed) == value
        seen.add(text)
    assert len(seen) == 2**n_bits


def test_int_matches_numpy_views():
    rng = np.random.default_rng(0)
    for dtype, udtype in [(np.int8, np.uint8), (np.int16, np.uint16),
                          (np.int32, np.uint32), (np.int64, np.uint64)]:
        n_bits = 8 * np.dtype(dtype).itemsize
        values = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max,
                              size=200, dtype=dtype, endpoint=True)
        for v in values:
            text = int_to_bits(int(v), n_bits)
            assert int(text, 2) == int(np.array(v).view(udtype))
            assert bits_to_int(text) == int(v)
            assert bits_to_int(text, signed=False) == int(np.array(v).view(udtype))


def test_int_examples_and_separators():
    assert int_to_bits(-43, 8) == "11010101"
    assert int_to_bits(5, 4, signed=False) == "0101"
    assert int_to_bits(-1, 64) == "1" * 64
    assert int_to_bits(2**64 - 1, 64, signed=False) == "1" * 64
    assert bits_to_int("1101 0101") == -43
    assert bits_to_int("0b1101_0101", signed=False) == 213
    assert bits_to_int(" 0B 0111 ") == 7
    assert bits_to_int("1") == -1 and bits_to_int("1", signed=False) == 1
    assert parse_bits("0b 1_0 1\t0") == "1010"
    assert int_to_bits(np.int16(-2), 4) == "1110"


@pytest.mark.parametrize("bad", ["", "0b", "012", "1 2", "0x1f", "abc", "-101",
                                 "__"])
def test_bad_bit_strings(bad):
    with pytest.raises(ValueError, match="0s and 1s"):
        bits_to_int(bad)


def test_integer_errors():
    with pytest.raises(ValueError, match=r"-128 <= value <= 127"):
        int_to_bits(128, 8)
    with pytest.raises(ValueError, match=r"0 <= value <= 255"):
        int_to_bits(-1, 8, signed=False)
    for bad_width in (0, 65, -3):
        with pytest.raises(ValueError, match="1 to 64"):
            int_range(bad_width)
        with pytest.raises(ValueError, match="1 to 64"):
            int_to_bits(0, bad_width)
    with pytest.raises(TypeError, match="bool"):
        int_to_bits(True, 8)
    with pytest.raises(TypeError, match="float"):
        int_to_bits(3.0, 8)
    with pytest.raises(TypeError):
        int_to_bits(3, 8.0)
    with pytest.raises(TypeError):
        int_range(True)
    with pytest.raises(TypeError):
        bits_to_int(101)
    with pytest.raises(ValueError, match="at most 64"):
        bits_to_int("1" * 65)


# ---------------------------------------------------------------- registry
def test_registry_has_required_formats():
    for name in REQUIRED:
        assert name in FORMATS
        assert get_format(name) is FORMATS[name]


@pytest.mark.parametrize("alias, name", [
    ("float16", "fp16"), ("HALF", "fp16"), ("bfloat16", "bf16"), ("Float32", "fp32"),
    ("torch.float8_e4m3fn", "fp8_e4m3fn"), ("float8_e4m3fn", "fp8_e4m3fn"),
    ("float8_e5m2fnuz", "fp8_e5m2fnuz"), ("float6_e2m3fn", "fp6_e2m3"),
    ("float4_e2m1fn", "fp4_e2m1"), ("float8_e8m0fnu", "e8m0"), ("FP8-E5M2", "fp8_e5m2"),
    (torch.float16, "fp16"), (torch.bfloat16, "bf16"), (torch.float8_e4m3fnuz,
                                                        "fp8_e4m3fnuz"),
    (torch.float8_e8m0fnu, "e8m0"), (np.float16, "fp16"), (np.dtype("float32"), "fp32"),
    (ml_dtypes.float8_e4m3fn, "fp8_e4m3fn"), (ml_dtypes.float6_e3m2fn, "fp6_e3m2"),
    (ml_dtypes.bfloat16, "bf16"), ("tensorfloat32", "tf32"),
])
def test_aliases(alias, name):
    assert get_format(alias) is FORMATS[name]


def test_unknown_format_errors():
    with pytest.raises(ValueError, match="unknown float format.*fp16"):
        get_format("fp7")
    with pytest.raises(TypeError, match="fmt must be"):
        get_format(3.5)


@pytest.mark.parametrize("name", [n for n in ML if n != "fp32"] + ["fp32"])
def test_constants_match_ml_dtypes_finfo(name):
    fmt, info = FORMATS[name], ml_dtypes.finfo(ML[name])
    assert fmt.max == float(info.max)
    assert fmt.min_normal == float(info.smallest_normal)
    assert fmt.min_subnormal == float(info.smallest_subnormal)
    assert fmt.eps == float(info.eps)
    assert fmt.n_bits == (info.bits if name not in ("fp6_e2m3", "fp6_e3m2",
                                                    "fp4_e2m1") else fmt.n_bits)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_constants_match_torch_finfo(name):
    fmt, info = FORMATS[name], torch.finfo(TORCH[name])
    assert fmt.torch_dtype is TORCH[name]
    assert fmt.max == info.max and fmt.min_normal == info.smallest_normal
    assert fmt.n_bits == info.bits
    if fmt.n_bits > 16:
        assert fmt.eps == info.eps
        return
    # eps from torch's own decoding of every code: the gap between 1 and the next
    # value. (torch 2.13's finfo(float8_e5m2fnuz).eps says 0.125; the gap is 0.25.)
    values = ref_values(np.arange(2**fmt.n_bits), name, "torch")
    assert fmt.eps == values[values > 1].min() - 1
    if name == "fp8_e5m2fnuz":
        assert info.eps == 0.125 and fmt.eps == 0.25
    else:
        assert fmt.eps == info.eps


def test_sub_byte_sizes_and_descriptions():
    assert [FORMATS[n].n_bits for n in ("fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "tf32")] \
        == [6, 6, 4, 19]
    assert FORMATS["tf32"].torch_dtype is None
    assert FORMATS["fp4_e2m1"].torch_dtype is None
    for fmt in FORMATS.values():
        assert "\n" not in fmt.description and fmt.name in fmt.description
    assert "saturates" in FORMATS["fp8_e4m3fn"].description


def test_user_defined_formats():
    e5m2 = FloatFormat("mine", exp_bits=5, frac_bits=2, bias=15)
    assert e5m2.torch_dtype is torch.float8_e5m2        # same structure, same casts
    same_values(all_values(e5m2).numpy(), all_values("fp8_e5m2").numpy())
    odd = FloatFormat("e3m3_b2", 3, 3, 2, special="fn")
    assert odd.torch_dtype is None and odd.max == 1.75 * 2**5
    assert decode(0b0_111_111, odd) != decode(0b0_111_111, odd)     # NaN
    nosign = FloatFormat("u4", 4, 0, 7, signed=False, special="none")
    assert nosign.n_bits == 4 and all_values(nosign)[1].item() == 2.0**-6
    assert encode(-3.0, nosign) == encode(3.0, nosign)   # unsigned: stores |x|
    with pytest.raises(ValueError, match="special must be one of"):
        FloatFormat("bad", 4, 3, 7, special="weird")
    with pytest.raises(ValueError, match="frac_bits >= 1"):
        FloatFormat("bad", 4, 0, 7)
    with pytest.raises(ValueError, match="float64"):
        FloatFormat("bad", 11, 52, 2000)
    with pytest.raises(ValueError, match="exp_bits"):
        FloatFormat("bad", 0, 3, 1)
    with pytest.raises(TypeError, match="exp_bits"):
        FloatFormat("bad", 4.0, 3, 7)
    with pytest.raises(ValueError, match="sign bit"):
        FloatFormat("bad", 4, 3, 7, signed=False, special="fnuz")


# ------------------------------------------------- every code, formats <= 8 bits
@pytest.mark.parametrize("name", SMALL)
def test_decode_every_code(name):
    fmt = FORMATS[name]
    codes = np.arange(2**fmt.n_bits)
    mine = np.array([decode(int(c), name) for c in codes])
    same_values(mine, decode_tensor(torch.from_numpy(codes), name).numpy())
    same_values(mine, all_values(name).numpy())
    exact = [decode_exact(int(c), name) for c in codes]
    assert all(e is None or float(e) == v for e, v in zip(exact, mine, strict=True))
    refs = [lib for lib, table in (("torch", TORCH), ("ml", ML)) if name in table]
    assert refs, f"{name} has no reference"
    for lib in refs:
        same_values(mine, ref_values(codes, name, lib))


@pytest.mark.parametrize("name", SMALL)
def test_encode_every_value_back(name):
    fmt = FORMATS[name]
    codes = np.arange(2**fmt.n_bits)
    values = all_values(name).numpy()
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    mine = np.array([encode(float(v), name) for v in values])
    np.testing.assert_array_equal(mine, codes)
    vec = encode_tensor(torch.from_numpy(values), name).numpy()
    np.testing.assert_array_equal(vec, codes)
    x32 = values.astype(np.float32)
    if name in TORCH:
        np.testing.assert_array_equal(torch_codes(x32, name), codes)
    if name in ML:
        np.testing.assert_array_equal(ml_codes(x32, name), codes)


def e8m0_quirk(x: np.ndarray) -> np.ndarray:
    """Where torch and ml_dtypes round e8m0 away from the nearest value.

    For float32 subnormal inputs 2**-127 < |x| < 1.5 * 2**-127 both libraries give
    2**-126 (code 1); the nearest value is 2**-127 (code 0), which encode gives.
    """
    a = np.abs(x.astype(np.float64))
    return (a > 2.0**-127) & (a < 1.5 * 2.0**-127)


@pytest.mark.parametrize("name", [n for n in SMALL if n in TORCH])
def test_encode_between_values_matches_torch(name):
    x = probes(name)
    mine = encode_tensor(torch.from_numpy(x), name).numpy()
    ref = torch_codes(x, name)
    if name == "e8m0":
        quirk = e8m0_quirk(x)
        assert quirk.sum() >= 4
        assert (ref[quirk] == 1).all() and (mine[quirk] == 0).all()
        mine, ref, x = mine[~quirk], ref[~quirk], x[~quirk]
    same_codes(mine, ref, name)
    scalar = np.array([encode(float(v), name) for v in x])
    np.testing.assert_array_equal(scalar, mine)


@pytest.mark.parametrize("name", SMALL)
def test_encode_between_values_matches_ml_dtypes(name):
    fmt = FORMATS[name]
    x = probes(name)
    mine = encode_tensor(torch.from_numpy(x), name).numpy()
    scalar = np.array([encode(float(v), name) for v in x])
    np.testing.assert_array_equal(scalar, mine)
    ref = ml_codes(x, name)
    if name == "fp8_e4m3fn":
        # The one overflow disagreement: torch (our default) saturates, ml_dtypes
        # gives NaN, for every |x| that rounds beyond 448 (|x| > 464, incl. inf).
        differ = np.abs(x) > 464
        assert differ.sum() > 10
        ref_v = decode_tensor(torch.from_numpy(ref), name).numpy()
        assert np.isnan(ref_v[differ]).all()
        mine_v = decode_tensor(torch.from_numpy(mine), name).numpy()
        np.testing.assert_array_equal(mine_v[differ], np.sign(x[differ]) * 448.0)
        assert encode(464.0, name) == encode(464.0, name, saturate=False) == 0x7E
        assert encode(464.0001, name, saturate=False) == 0x7F
        no_sat = encode_tensor(torch.from_numpy(x), name, saturate=False).numpy()
        same_codes(no_sat, ref, name)              # saturate=False == ml_dtypes
        same_codes(mine[~differ], ref[~differ], name)
    elif name == "e8m0":
        # e8m0 has no sign and no zero: torch (our default) stores |x| and maps 0
        # to 2**-127; ml_dtypes gives NaN. Everything else agrees.
        quirk = e8m0_quirk(x)
        assert (ref[quirk] == np.where(x[quirk] > 0, 1, 0xFF)).all()
        mine, ref, x = mine[~quirk], ref[~quirk], x[~quirk]
        differ = (x <= 0) & ~np.isnan(x)
        assert differ.sum() > 10
        assert (ref[differ] == 0xFF).all()
        np.testing.assert_array_equal(
            mine[differ], encode_tensor(torch.from_numpy(-x[differ]), name).numpy())
        assert encode(0.0, name) == 0 and encode(-2.0, name) == encode(2.0, name)
        same_codes(mine[~differ], ref[~differ], name)
    else:
        same_codes(mine, ref, name)
    if not fmt.has_nan:
        # ml_dtypes stores nan as -0 in fp6/fp4; we refuse instead
        with pytest.raises(ValueError, match="no NaN"):
            encode(math.nan, name)
        with pytest.raises(ValueError, match="no NaN"):
            encode_tensor(torch.tensor([1.0, math.nan]), name)


def test_e4m3fn_overflow_convention_examples():
    x = torch.tensor([448.0, 463.9, 464.0, 464.1, 480.0, 1e6, math.inf, -1e6])
    torch_v = x.to(torch.float8_e4m3fn).to(torch.float64)
    ml_v = x.numpy().astype(ml_dtypes.float8_e4m3fn).astype(np.float64)
    mine = decode_tensor(encode_tensor(x, "fp8_e4m3fn"), "fp8_e4m3fn")
    mine_nan = decode_tensor(encode_tensor(x, "fp8_e4m3fn", saturate=False),
                             "fp8_e4m3fn")
    assert torch_v.tolist() == [448.0] * 3 + [448.0] * 4 + [-448.0]
    assert mine.tolist() == torch_v.tolist()
    assert ml_v[:3].tolist() == [448.0] * 3 and np.isnan(ml_v[3:]).all()
    same_values(mine_nan.numpy(), ml_v)
    assert encode(math.inf, "fp8_e4m3fn", saturate=False) == 0x7F
    assert encode(-math.inf, "fp8_e4m3fn") == 0xFE


def test_formats_without_torch_dtype_use_saturation():
    for name, top in (("fp4_e2m1", 6.0), ("fp6_e2m3", 7.5), ("fp6_e3m2", 28.0)):
        assert decode(encode(1e9, name), name) == top
        assert decode(encode(-math.inf, name), name) == -top
        assert decode(encode(1e9, name, saturate=False), name) == top


# ------------------------------------------------- all fp16 / bf16 codes
@pytest.mark.parametrize("name", ["fp16", "bf16"])
def test_every_16_bit_code(name):
    codes = np.arange(2**16)
    mine = all_values(name).numpy()
    same_values(mine, ref_values(codes, name, "torch"))
    same_values(mine, ref_values(codes, name, "ml"))
    keep = ~np.isnan(mine)
    back = encode_tensor(torch.from_numpy(mine[keep]), name).numpy()
    np.testing.assert_array_equal(back, codes[keep])
    sample = codes[keep][::11]
    assert [encode(float(v), name) for v in mine[sample]] == sample.tolist()
    assert all(decode(int(c), name) == mine[c] for c in sample)


@pytest.mark.parametrize("name", ["fp16", "bf16"])
def test_16_bit_rounding_between_every_pair(name):
    v = all_values(name).numpy()
    pos = np.unique(v[np.isfinite(v) & (v >= 0)])
    top, step = pos[-1], pos[-1] - pos[-2]
    mid = ((pos[:-1] + pos[1:]) / 2).astype(np.float32)
    x = np.concatenate([
        mid, np.nextafter(mid, np.float32(np.inf)), np.nextafter(mid, np.float32(0)),
        (pos[:-1] * 0.75 + pos[1:] * 0.25).astype(np.float32),
        (top + step * np.arange(1, 9) / 4).astype(np.float32),
        np.array([np.inf, np.nan, 3e38, 1e-45, 1e-38], np.float32)])
    x = np.concatenate([x, -x])
    mine = encode_tensor(torch.from_numpy(x), name).numpy()
    same_codes(mine, torch_codes(x, name), name)
    same_codes(mine, ml_codes(x, name), name)
    sample = np.arange(0, x.size, 13)
    assert [encode(float(t), name) for t in x[sample]] == mine[sample].tolist()


# ------------------------------------------------- fp32, fp64, tf32
def test_fp32_spot_checks():
    assert encode(1.0, "fp32") == 0x3F800000
    assert encode(0.1, "fp32") == 0x3DCCCCCD
    assert encode(-2.5, "fp32") == 0xC0200000
    assert encode(3.4028235e38, "fp32") == 0x7F7FFFFF
    assert encode(1e39, "fp32") == 0x7F800000
    assert encode(1e-46, "fp32") == 0
    assert encode(2.0**-149, "fp32") == 1
    assert encode(2.0**-150, "fp32") == 0                 # tie with 0 -> even
    assert encode(2.0**-150 * 3, "fp32") == 2             # tie 1.5 -> 2
    assert decode(0x7FC00000, "fp32") != decode(0x7FC00000, "fp32")
    assert FORMATS["fp32"].max == float(np.finfo(np.float32).max)


def test_fp32_random_against_numpy():
    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.standard_normal(3000) * 10.0 ** rng.integers(-40, 39, 3000),
        rng.standard_normal(500) * 1e-42, [3.4028235677973366e38, 3.4028236e38]])
    ref = x.astype(np.float32).view(np.uint32).astype(np.int64)
    mine = encode_tensor(torch.from_numpy(x), "fp32").numpy()
    np.testing.assert_array_equal(mine, ref)
    assert [encode(float(t), "fp32") for t in x[::10]] == ref[::10].tolist()
    codes = rng.integers(0, 2**32, 3000, dtype=np.uint32)
    ref_v = codes.view(np.float32).astype(np.float64)
    same_values(decode_tensor(torch.from_numpy(codes.astype(np.int64)), "fp32")
                .numpy(), ref_v)
    same_values(np.array([decode(int(c), "fp32") for c in codes[:300]]), ref_v[:300])


def test_fp64_round_trips_python_floats():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(200) * 10.0 ** rng.integers(-300, 300, 200)
    for t in x:
        code = encode(float(t), "fp64")
        assert code == int(np.array(t).view(np.uint64))
        assert decode(code, "fp64") == t
    assert decode(1, "fp64") == 5e-324


def test_tf32_against_bit_trick():
    # reference: the usual fp32 -> tf32 round-to-nearest-even on the 13 low bits
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(5000) * 10.0 ** rng.integers(-30, 30, 5000))
    x = x.astype(np.float32)
    u = x.view(np.uint32).astype(np.int64)
    ref = (u + 0xFFF + ((u >> 13) & 1)) >> 13                # 19-bit code
    mine = encode_tensor(torch.from_numpy(x), "tf32").numpy()
    np.testing.assert_array_equal(mine, ref)
    assert encode(1.0 + 2**-11, "tf32") == encode(1.0, "tf32")          # tie -> even
    assert encode(1.0 + 3 * 2**-11, "tf32") == encode(1.0, "tf32") + 2  # tie -> even
    assert decode(encode(1 / 3, "tf32"), "tf32") == 1365 / 4096


# ------------------------------------------------- fields
@pytest.mark.parametrize("name", sorted(set(TORCH) - {"fp64"}) + ["fp64", "tf32"])
def test_fields_match_codes(name):
    fmt = FORMATS[name]
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(4000) * 2.0 ** rng.integers(-20, 20, 4000))
    x = torch.from_numpy(x.astype(np.float32))
    s, e, m = fields(x, name)
    assert s.shape == x.shape and s.dtype in (torch.int32, torch.int64)
    code = encode_tensor(x, name)
    if fmt.n_bits == 64:
        code = code.view(torch.int64)
    assert torch.equal(m.to(torch.int64), code & ((1 << fmt.frac_bits) - 1))
    assert torch.equal(e.to(torch.int64),
                       (code >> fmt.frac_bits) & ((1 << fmt.exp_bits) - 1))
    if fmt.signed:
        assert torch.equal(s.to(torch.int64), (code >> (fmt.n_bits - 1)) & 1)
    else:
        assert not s.any()


def test_fields_fp32_against_numpy_shifts():
    rng = np.random.default_rng(5)
    a = rng.standard_normal(10000).astype(np.float32)
    a[:4] = [0.0, -0.0, np.inf, np.nan]
    u = a.view(np.uint32)
    s, e, m = fields(torch.from_numpy(a), "fp32")
    np.testing.assert_array_equal(s.numpy(), u >> 31)
    np.testing.assert_array_equal(e.numpy(), (u >> 23) & 0xFF)
    np.testing.assert_array_equal(m.numpy(), u & 0x7FFFFF)


@pytest.mark.parametrize("name", ["fp6_e2m3", "fp6_e3m2", "fp4_e2m1"])
def test_fields_sub_byte_against_ml_dtypes(name):
    fmt = FORMATS[name]
    x = np.linspace(-2 * fmt.max, 2 * fmt.max, 2001).astype(np.float32)
    u = ml_codes(x, name)
    s, e, m = fields(torch.from_numpy(x), name)
    np.testing.assert_array_equal(s.numpy(), u >> (fmt.n_bits - 1))
    np.testing.assert_array_equal(e.numpy(), (u >> fmt.frac_bits)
                                  & ((1 << fmt.exp_bits) - 1))
    np.testing.assert_array_equal(m.numpy(), u & ((1 << fmt.frac_bits) - 1))


def test_fields_examples_and_float64_double_rounding():
    s, e, m = fields(torch.tensor([1.0, -0.1, 65504.0, 1e5]), "fp16")
    assert s.tolist() == [0, 1, 0, 0] and e.tolist() == [15, 11, 30, 31]
    assert m.tolist() == [0, 614, 1023, 0]
    s, e, m = fields([448.0, 1000.0], "fp8_e4m3fn")     # torch saturates
    assert e.tolist() == [15, 15] and m.tolist() == [6, 6]
    # float64 input: torch's cast goes through float32 (double rounding) and
    # fields follows torch; encode rounds the exact value once.
    x = 1.0 + 2**-11 + 2**-40
    _, _, m = fields(torch.tensor([x], dtype=torch.float64), "fp16")
    assert m.item() == 0 and encode(x, "fp16") & 0x3FF == 1
    assert torch.tensor([x], dtype=torch.float64).to(torch.float16).item() == 1.0
    assert float(np.float64(x).astype(np.float16)) == 1.0 + 2**-10
    with pytest.raises(TypeError, match="real tensor"):
        fields(torch.tensor([True]), "fp16")
    with pytest.raises(ValueError, match="unknown"):
        fields(torch.tensor([1.0]), "fp5")


# ------------------------------------------------- all_values, decode errors
@pytest.mark.parametrize("name", [n for n, f in FORMATS.items() if f.n_bits <= 16])
def test_all_values_matches_references(name):
    values = all_values(name)
    fmt = FORMATS[name]
    assert values.dtype == torch.float64 and values.numel() == 2**fmt.n_bits
    codes = np.arange(2**fmt.n_bits)
    lib = "ml" if name in ML else "torch"
    same_values(values.numpy(), ref_values(codes, name, lib))
    finite = values[torch.isfinite(values)]
    assert finite.abs().max().item() == fmt.max


def test_decode_errors():
    with pytest.raises(ValueError, match="from 0 to 255"):
        decode(256, "fp8_e5m2")
    with pytest.raises(ValueError, match="from 0 to 255"):
        decode(-1, "fp8_e5m2")
    with pytest.raises(TypeError, match="code must be an int"):
        decode(1.0, "fp16")
    with pytest.raises(TypeError):
        decode(True, "fp16")
    with pytest.raises(ValueError, match="8 bits"):
        decode("0101", "fp8_e5m2")
    with pytest.raises(ValueError, match="at most 16 bits"):
        all_values("fp32")
    with pytest.raises(ValueError, match="from 0 to 15"):
        decode_tensor(torch.tensor([16]), "fp4_e2m1")
    with pytest.raises(TypeError):
        decode_tensor(torch.tensor([1.0]), "fp4_e2m1")


def test_encode_input_types():
    assert encode(1, "fp16") == encode(1.0, "fp16") == encode(Fraction(1), "fp16")
    assert encode(np.float32(0.5), "bf16") == 0x3F00
    assert encode(torch.tensor(2.0), "fp16") == 0x4000
    third = Fraction(1, 3)    # exact input: no float64 rounding first
    assert decode_exact(encode(third, "fp16"), "fp16") == Fraction(1365, 4096)
    assert encode(-0.0, "fp16") == 0x8000
    assert encode(-0.0, "fp8_e4m3fnuz") == 0            # no -0 in fnuz
    assert encode(-1e-9, "fp8_e5m2fnuz") == 0
    for bad in ("1.0", True, None, [1.0]):
        with pytest.raises(TypeError, match="real number"):
            encode(bad, "fp16")


# ------------------------------------------------- explain
def test_explain_fp16_example():
    e = explain(0.1, "fp16")
    assert (e.code, e.bits, e.sign_bits, e.exponent_bits, e.fraction_bits) == (
        0x2E66, "0010111001100110", "0", "01011", "1001100110")
    assert (e.sign, e.power, e.kind) == (1, -4, "normal")
    assert e.exact == Fraction(819, 8192) and e.value == 819 / 8192
    assert e.abs_error == float(abs(Fraction(819, 8192) - Fraction(0.1)))
    assert e.rel_error == pytest.approx(e.abs_error / 0.1, rel=1e-15)
    assert e.ulp == 2.0**-14
    assert e.next_up == float(np.nextafter(np.float16(e.value), np.float16(1)))
    assert e.next_down == float(np.nextafter(np.float16(e.value), np.float16(0)))
    text = str(e)
    for part in ("0 01011 1001100110", "normal", "819/8192", "11 - bias 15 = -4",
                 "1 + 614/1024"):
        assert part in text
    page = e._repr_html_()
    for colour in ("#D55E00", "#0072B2", "#009E73"):
        assert colour in page
    assert ">01011<" in page and ">1001100110<" in page


def test_explain_kinds():
    assert explain(0.0, "fp16").kind == "zero"
    assert explain(-0.0, "fp16").sign == -1
    assert explain(1e-6, "fp16").kind == "subnormal"
    assert explain(1e-6, "fp16").power == -14
    assert explain(1e6, "fp16").kind == "inf"
    assert explain(1e6, "fp16").abs_error == math.inf
    nan = explain(math.nan, "fp16")
    assert nan.kind == "nan" and nan.abs_error is None and math.isnan(nan.ulp)
    sat = explain(1e6, "fp8_e4m3fn")
    assert sat.value == 448.0 and sat.abs_error == 1e6 - 448 and math.isnan(
        sat.next_up)
    assert explain(1e6, "fp8_e4m3fn", saturate=False).kind == "nan"
    assert explain_code(0x7C00, "fp16").next_down == 65504.0
    assert explain_code(0xFC00, "fp16").next_up == -65504.0
    assert explain_code(0x7BFF, "fp16").next_up == math.inf
    e8 = explain_code(0, "e8m0")
    assert e8.kind == "normal" and e8.value == 2.0**-127 and math.isnan(e8.next_down)
    assert explain(3.0, "e8m0").value == 4.0
    assert "code 0x7f = nan" in str(explain_code(0x7F, "fp8_e4m3fn"))
    assert explain(Fraction(1, 3), "fp4_e2m1").rel_error == 0.5


@pytest.mark.parametrize("name", SMALL)
def test_neighbours_every_code(name):
    """next_up/next_down/ulp agree with the sorted list of values (ml_dtypes)."""
    fmt = FORMATS[name]
    codes = np.arange(2**fmt.n_bits)
    lib = "ml" if name in ML else "torch"
    values = ref_values(codes, name, lib)
    finite = np.unique(values[np.isfinite(values)])          # -0 and 0 merge
    for c, v in zip(codes, values, strict=True):
        e = explain_code(int(c), name)
        if np.isnan(v):
            assert math.isnan(e.next_up) and math.isnan(e.next_down)
            continue
        above, below = finite[finite > v], finite[finite < v]
        up = above[0] if above.size else (np.inf if fmt.has_inf else np.nan)
        down = below[-1] if below.size else (-np.inf if fmt.has_inf else np.nan)
        if v == np.inf:
            up, down = np.inf, finite[-1]
        if v == -np.inf:
            up, down = finite[0], -np.inf
        assert e.next_up == up or (np.isnan(up) and math.isnan(e.next_up))
        assert e.next_down == down or (np.isnan(down) and math.isnan(e.next_down))
        if np.isfinite(v) and v != 0 and abs(v) < fmt.max:
            bigger = finite[finite > abs(v)][0]
            assert e.ulp == bigger - abs(v)          # binade spacing


def test_neighbours_fp16_against_numpy():
    rng = np.random.default_rng(6)
    codes = rng.integers(0, 2**16, 1500)
    values = codes.astype(np.uint16).view(np.float16)
    for c, v in zip(codes, values, strict=True):
        if np.isnan(v):
            continue
        e = explain_code(int(c), "fp16")
        assert e.next_up == float(np.nextafter(v, np.float16(np.inf)))
        assert e.next_down == float(np.nextafter(v, np.float16(-np.inf)))
        if np.isfinite(v) and abs(v) < 65504:
            assert e.ulp == float(np.spacing(np.abs(v)))


def test_format_bits():
    assert format_bits(0x3C00, "fp16") == "0 01111 0000000000"
    assert format_bits(0x7E, "fp8_e4m3fn", sep="|") == "0|1111|110"
    assert format_bits(127, "e8m0") == "01111111"
