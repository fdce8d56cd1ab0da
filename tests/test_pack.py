"""course_utils.quant.pack / unpack: torch's quint4x2 / quint2x4 byte layout and
round trips for every width (issue 2, section 4)."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.packing import pack, unpack


def torch_packed(codes: list[int], dtype: torch.dtype) -> torch.Tensor:
    """torch's own packed bytes (int_repr of a sub-byte quantized tensor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = torch.tensor(codes, dtype=torch.float32)
        return torch.quantize_per_tensor(x, 1.0, 0, dtype).int_repr()


@pytest.mark.parametrize("n", [1, 2, 7, 64, 1001])
def test_int4_layout_is_torch_quint4x2(n):
    codes = torch.randint(0, 16, (n,), generator=torch.Generator().manual_seed(n))
    assert torch.equal(pack(codes, 4), torch_packed(codes.tolist(), torch.quint4x2))


@pytest.mark.parametrize("n", [1, 3, 4, 5, 999])
def test_int2_layout_is_torch_quint2x4(n):
    codes = torch.randint(0, 4, (n,), generator=torch.Generator().manual_seed(n))
    assert torch.equal(pack(codes, 2), torch_packed(codes.tolist(), torch.quint2x4))


def test_layouts_by_hand():
    assert pack(torch.tensor([1, 2, 15]), 4).tolist() == [0x21, 0x0F]
    assert pack(torch.tensor([1, 0, 0, 0, 0, 0, 0, 1, 1]), 1).tolist() == [
        0b1000_0001, 0b1]
    assert pack(torch.tensor([3, 0, 1, 2]), 2).tolist() == [0b10_01_00_11]
    assert pack(torch.tensor([-8, 7, -1]), 4, signed=True).tolist() == [
        0x78, 0x0F]
    assert pack(torch.tensor([-2, 1]), 2, signed=True).tolist() == [0b01_10]
    assert pack(torch.tensor([True, False, True]), 1).tolist() == [0b101]
    assert pack(torch.tensor([], dtype=torch.int64), 4).numel() == 0


@settings(max_examples=80, deadline=None)
@given(n_bits=st.sampled_from([1, 2, 4]), signed=st.booleans(),
       data=st.data())
def test_round_trip(n_bits, signed, data):
    lo, hi = (-(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1) if signed else (
        0, 2**n_bits - 1)
    values = data.draw(st.lists(st.integers(lo, hi), max_size=70))
    dtype = data.draw(st.sampled_from([torch.int8, torch.int32, torch.int64]
                                      + ([torch.uint8] if not signed else [])))
    q = torch.tensor(values, dtype=dtype)
    packed = pack(q, n_bits, signed=signed)
    per = 8 // n_bits
    assert packed.dtype == torch.uint8
    assert packed.numel() == -(-len(values) // per)
    out = unpack(packed, n_bits, len(values), signed=signed)
    assert out.dtype == (torch.int8 if signed else torch.uint8)
    assert out.tolist() == values


@pytest.mark.parametrize("n_bits", [1, 2, 4])
def test_round_trip_large_and_shaped(n_bits):
    q = torch.randint(0, 2**n_bits, (3, 1000, 7), dtype=torch.uint8,
                      generator=torch.Generator().manual_seed(n_bits))
    packed = pack(q, n_bits)
    assert packed.numel() * 8 == q.numel() * n_bits + (-q.numel() * n_bits) % 8
    assert torch.equal(unpack(packed, n_bits, q.numel()).reshape(q.shape), q)


def test_padding_is_zero():
    assert pack(torch.tensor([3, 3, 3]), 2).tolist() == [0b00_11_11_11]
    assert unpack(torch.tensor([0xFF], dtype=torch.uint8), 2, 3).tolist() == [
        3, 3, 3]


@pytest.mark.parametrize("call,err,match", [
    (lambda: pack(torch.tensor([16]), 4), ValueError, r"\[0, 15\]"),
    (lambda: pack(torch.tensor([-1]), 4), ValueError, "signed=True"),
    (lambda: pack(torch.tensor([8]), 4, signed=True), ValueError, r"\[-8, 7\]"),
    (lambda: pack(torch.tensor([2]), 1), ValueError, r"\[0, 1\]"),
    (lambda: pack(torch.tensor([1.0]), 4), TypeError, "integer"),
    (lambda: pack(torch.tensor([1]), 3), ValueError, "n_bits"),
    (lambda: pack(torch.tensor([1]), 8), ValueError, "n_bits"),
    (lambda: pack([1, 2], 4), TypeError, "torch.Tensor"),
    (lambda: unpack(torch.tensor([1], dtype=torch.int8), 4, 2), TypeError, "uint8"),
    (lambda: unpack(torch.tensor([1], dtype=torch.uint8), 4, 3), ValueError,
     "2 bytes"),
    (lambda: unpack(torch.tensor([1, 2], dtype=torch.uint8), 4, 2), ValueError,
     "take 1 byte, got 2"),
    (lambda: unpack(torch.tensor([1], dtype=torch.uint8), 4, -1), ValueError,
     "numel"),
])
def test_bad_input_is_a_clear_error(call, err, match):
    with pytest.raises(err, match=match):
        call()
