"""course_utils.blocks.view: one block read back from a BlockQuantized (lesson 6).

Each view is checked against what the kernels store (codes, scales) and against
an independent decoding: torch's own fp8 casts for the e4m3 scale, the float32
bit pattern for NF4's absmax, ``2**(code - 127)`` for e8m0.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.blocks import mx_quantize, nf4_quantize, nvfp4_quantize
from course_utils.blocks.view import block_view

_X = torch.randn(3, 128, generator=torch.Generator().manual_seed(9)) * torch.tensor(
    [[0.01], [1.0], [40.0]])

KERNELS = {
    "mxfp4": lambda x: mx_quantize(x, "fp4_e2m1"),
    "mxfp4_rceil": lambda x: mx_quantize(x, "fp4_e2m1", scale_rounding="rceil"),
    "mxfp8_e4m3": lambda x: mx_quantize(x, "fp8_e4m3fn"),
    "mxfp8_e5m2": lambda x: mx_quantize(x, "fp8_e5m2"),
    "mxfp6": lambda x: mx_quantize(x, "fp6_e2m3"),
    "nvfp4": lambda x: nvfp4_quantize(x, tensor_scale="amax"),
    "nvfp4_no_tensor_scale": nvfp4_quantize,
    "nf4": nf4_quantize,
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_every_block_reads_back_what_was_stored(name):
    bq = KERNELS[name](_X)
    x_hat = bq.dequantize().reshape(-1, bq.block_size)
    for index in range(_X.numel() // bq.block_size):
        v = block_view(_X, bq, index)
        assert list(v.codes) == bq.codes.reshape(-1, bq.block_size)[index].tolist()
        assert torch.equal(v.x_hat, x_hat[index].double())
        assert torch.equal(v.x, _X.reshape(-1, bq.block_size)[index].double())
        assert torch.allclose(v.elements * v.scale, v.x_hat, rtol=1e-6, atol=0)
        assert bool(torch.isin(v.x_hat.float(), v.grid.float()).all())
        assert all(len(v.bits(i)) == bq.n_bits for i in range(len(v.codes)))
        assert sum(w for _, _, w in v.spans) == bq.n_bits
        assert len(v.scale_bit_string()) == v.scale_bits == sum(
            w for _, _, w in v.scale_spans)
        assert v.clipped == (v.amax / v.scale > v.element_max)


def test_scales_decode_independently():
    mx = mx_quantize(_X)
    v = block_view(_X, mx, 5)
    assert v.scale == 2.0 ** (int(mx.scales.reshape(-1)[5]) - 127)
    assert v.scale_spans == (("exponent", 0, 8),)
    nv = nvfp4_quantize(_X, tensor_scale="amax")
    v = block_view(_X, nv, 3)
    e4m3 = torch.tensor([v.scale_code], dtype=torch.uint8).view(torch.float8_e4m3fn)
    assert v.scale == pytest.approx(float(e4m3.float()) * float(nv.tensor_scale),
                                    rel=1e-7)
    assert "tensor scale" in v.scale_name()
    nf = nf4_quantize(_X)
    v = block_view(_X, nf, 1)
    absmax = torch.tensor([v.scale_code], dtype=torch.int64).to(torch.int32).view(
        torch.float32)
    assert float(absmax) == v.scale == float(_X[0, 64:].abs().max())
    assert v.spans == (("index", 0, 4),) and v.element_max == 1.0


def test_a_clipped_block_and_a_nan_block():
    x = torch.tensor([[7.5, 1.0, -0.3, 0.0], [1.0, float("nan"), 0.0, 0.0]])
    bq = mx_quantize(x, block_size=4)
    v = block_view(x, bq, 0)
    assert v.clipped and v.x_hat.tolist()[0] == 6.0
    assert "code 127" in v.scale_name()
    v = block_view(x, bq, 1)
    assert v.scale_name() == "NaN (e8m0 code 255)" and v.grid.numel() == 0
    assert not v.clipped


def test_bad_arguments_get_clear_errors():
    bq = mx_quantize(_X)
    with pytest.raises(ValueError, match="index must be"):
        block_view(_X, bq, bq.codes.numel() // 32)
    with pytest.raises(ValueError, match="index must be"):
        block_view(_X, bq, True)
    with pytest.raises(ValueError, match="the tensor bq was made from"):
        block_view(_X[:1], bq, 0)
    with pytest.raises(TypeError, match="BlockQuantized"):
        block_view(_X, _X, 0)
    with pytest.raises(ValueError, match="double-quantized"):
        block_view(_X, nf4_quantize(_X, double_quant=True), 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, width=32), min_size=32, max_size=32),
       st.sampled_from(["fp4_e2m1", "fp8_e4m3fn", "fp6_e3m2"]),
       st.sampled_from(["floor", "rceil"]))
def test_x_hat_is_element_times_scale_and_on_the_grid(values, elem, rule):
    x = torch.tensor([values], dtype=torch.float32)
    v = block_view(x, mx_quantize(x, elem, scale_rounding=rule), 0)
    assert torch.equal(v.elements * v.scale, v.x_hat)      # powers of two: exact
    assert bool(torch.isin(v.x_hat, v.grid).all())
    top = v.element_max * v.scale
    assert bool((v.x_hat.abs() <= top).all())
    assert v.clipped == bool((v.x.abs() > top).any())
