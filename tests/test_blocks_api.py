"""The shared API of course_utils.blocks: BlockQuantized, packing (torchao's nibble
orders), storage sizes, element-format lookup and the errors bad input gets."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch

from course_utils.blocks import (
    ELEMENT_FORMATS,
    BlockQuantized,
    element_format,
    element_grid,
    mx_quantize,
    nf4_quantize,
    nvfp4_quantize,
)
from course_utils.blocks.elements import (
    decode_elements,
    encode_elements,
    pack_codes,
    unpack_codes,
)
from course_utils.blocks.reference import (
    torchao_mx,
    torchao_nf4_codes,
    torchao_nvfp4_codes,
)

QUANTIZERS = [mx_quantize, nvfp4_quantize, nf4_quantize]


@pytest.mark.parametrize("quantize", QUANTIZERS)
def test_one_api_for_all_three(quantize):
    x = torch.randn(3, 128)
    bq = quantize(x)
    assert isinstance(bq, BlockQuantized)
    assert bq.codes.shape == x.shape and bq.codes.dtype == torch.uint8
    assert bq.scales.shape == (3, 128 // bq.block_size)
    x_hat = bq.dequantize()
    assert x_hat.shape == x.shape and x_hat.dtype == x.dtype
    assert bq.packed().dtype == torch.uint8 and bq.packed().numel() == 3 * 64
    assert bq.nbytes == bq.packed().numel() + bq.scale_nbytes()
    assert bq.bits_per_value() == 8 * bq.nbytes / x.numel()
    assert repr(bq).startswith(f"BlockQuantized({bq.scheme}, ")


def test_bits_per_value_of_each_format():
    x = torch.randn(64, 1024)
    bits = {e: mx_quantize(x, e).bits_per_value() for e in ELEMENT_FORMATS}
    assert bits == {"fp8_e4m3fn": 8.25, "fp8_e5m2": 8.25, "fp6_e2m3": 6.25,
                    "fp6_e3m2": 6.25, "fp4_e2m1": 4.25, "int8": 8.25}
    assert nvfp4_quantize(x).bits_per_value() == 4.5
    with_t = nvfp4_quantize(x, tensor_scale="amax").bits_per_value()
    assert with_t == 4.5 + 32 / x.numel()


def test_mx_fp4_packing_is_torchao_qdata():
    ao = torchao_mx()
    x = torch.randn(4, 64)
    t = ao.MXTensor.to_mx(x, torch.float4_e2m1fn_x2, 32)
    assert torch.equal(mx_quantize(x).packed(), t.qdata.view(torch.uint8).reshape(-1))
    first = mx_quantize(x).codes[0, :2]
    byte = mx_quantize(x).packed()[0]
    assert byte.item() == first[0].item() | (first[1].item() << 4)   # low nibble first


def test_nvfp4_packing_is_torchao_qdata():
    x = torch.randn(4, 64)
    _, _, packed, _ = torchao_nvfp4_codes(x)
    assert torch.equal(nvfp4_quantize(x).packed(), packed.reshape(-1))


def test_nf4_packing_is_torchao_quantized_data():
    x = torch.randn(64, 256)
    bq = nf4_quantize(x, double_quant=True)
    ao = torchao_nf4_codes(x)
    same = bq.codes == ao.codes                      # the codebooks differ slightly
    assert same.float().mean() > 0.999
    byte = bq.packed()[0].item()
    assert byte == (bq.codes[0, 0].item() << 4) | bq.codes[0, 1].item()  # high first
    agree = same.reshape(-1, 2).all(dim=1)
    assert torch.equal(bq.packed()[agree], ao.packed.reshape(-1)[agree])


def test_fp6_packing_against_a_bit_string():
    codes = torch.randint(0, 64, (40,), dtype=torch.uint8)
    bits = "".join(format(c, "06b") for c in reversed(codes.tolist()))  # c0 lowest
    expected = int(bits, 2).to_bytes(30, "little")
    assert pack_codes(codes, 6).tolist() == list(expected)
    assert torch.equal(unpack_codes(pack_codes(codes, 6), 6, 40), codes)
    bq = mx_quantize(torch.randn(2, 64), "fp6_e2m3")
    assert bq.packed().numel() == 96 and bq.nbytes == 96 + 4


@pytest.mark.parametrize("order", ["low_first", "high_first"])
@pytest.mark.parametrize("n_bits", [4, 6, 8])
def test_pack_round_trip_with_a_ragged_end(n_bits, order):
    codes = torch.randint(0, 1 << n_bits, (37,), dtype=torch.uint8)
    packed = pack_codes(codes, n_bits, order)
    assert packed.numel() == -(-37 * n_bits // 8) if n_bits != 6 else 30
    assert torch.equal(unpack_codes(packed, n_bits, 37, order), codes)


@pytest.mark.parametrize("elem", ELEMENT_FORMATS)
def test_every_code_decodes_as_ml_dtypes_and_encodes_back(elem):
    f = element_format(elem)
    codes = torch.arange(1 << f.n_bits, dtype=torch.uint8)
    values = decode_elements(codes, f)
    if f.is_int:
        expected = codes.numpy().view(np.int8).astype(np.float32) / 64
    else:
        mdt = {"fp8_e4m3fn": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2,
               "fp6_e2m3": ml_dtypes.float6_e2m3fn, "fp6_e3m2": ml_dtypes.float6_e3m2fn,
               "fp4_e2m1": ml_dtypes.float4_e2m1fn}[elem]
        expected = codes.numpy().view(mdt).astype(np.float32)
    assert np.array_equal(values.numpy(), expected, equal_nan=True)
    assert np.array_equal(element_grid(f).numpy().astype(np.float32), expected,
                          equal_nan=True)
    finite = torch.isfinite(values) & (values.abs() <= f.max)
    if f.is_int:
        finite &= codes != 128                     # -2.0 is never produced
    assert torch.equal(encode_elements(values[finite], f), codes[finite])


def test_element_format_aliases_and_errors():
    assert element_format("e2m1").name == "fp4_e2m1"
    assert element_format(torch.float8_e5m2).name == "fp8_e5m2"
    assert element_format("E4M3").name == "fp8_e4m3fn"
    assert element_format("MXINT8").name == "int8"
    for bad in ("fp16", "fp8_e4m3", "int4", 3):
        with pytest.raises(ValueError, match="unknown element format"):
            element_format(bad)


@pytest.mark.parametrize("quantize", QUANTIZERS)
def test_bad_input_errors(quantize):
    with pytest.raises(TypeError, match="float32, bfloat16 or float16"):
        quantize(torch.ones(2, 64, dtype=torch.float64))
    with pytest.raises(TypeError, match="float32, bfloat16 or float16"):
        quantize(torch.ones(2, 64, dtype=torch.int32))
    with pytest.raises(TypeError, match="torch.Tensor"):
        quantize([[1.0] * 64])
    with pytest.raises(ValueError, match="multiple of block_size"):
        quantize(torch.ones(2, 40))
    with pytest.raises(ValueError, match="at least one dimension"):
        quantize(torch.tensor(1.0))
    with pytest.raises(TypeError, match="block_size"):
        quantize(torch.ones(2, 64), block_size=16.0)
    with pytest.raises(ValueError, match="block_size"):
        quantize(torch.ones(2, 64), block_size=0)


def test_mx_specific_errors():
    with pytest.raises(ValueError, match="unknown element format 'fp3'"):
        mx_quantize(torch.ones(1, 32), "fp3")
    with pytest.raises(ValueError, match="scale_rounding"):
        mx_quantize(torch.ones(1, 32), scale_rounding="ceil")


def test_codes_do_not_alias_the_input_and_gradients_are_not_needed():
    x = torch.randn(2, 32, requires_grad=True)
    bq = mx_quantize(x)
    assert not bq.dequantize().requires_grad
    view = torch.randn(64, 4).t()                   # not contiguous
    assert torch.equal(mx_quantize(view).codes, mx_quantize(view.contiguous()).codes)
