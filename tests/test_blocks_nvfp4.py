"""course_utils.blocks.nvfp4 against torchao's NVFP4Tensor.to_nvfp4, an independent
numpy/ml_dtypes implementation of the same float32 arithmetic, and edge cases."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch

from course_utils.blocks import nvfp4_quantize
from course_utils.blocks.agreement import cases, compare_nvfp4
from course_utils.blocks.nvfp4 import TENSOR_SCALE_MIN, nvfp4_tensor_scale
from course_utils.blocks.reference import torchao_mx, torchao_nvfp4_codes

SCALES = (None, "amax")


def nvfp4_reference(x: torch.Tensor, tensor_scale: float | None = None):
    """Codes and e4m3 scale codes with numpy float32 and ml_dtypes' casts."""
    xb = x.numpy().astype(np.float32).reshape(-1, 16)
    amax = np.max(np.abs(xb), axis=1)
    s = amax / np.float32(6)
    if tensor_scale is not None:
        with np.errstate(over="ignore"):             # huge blocks: inf, then 448
            s = s / np.float32(tensor_scale)
    s8 = np.clip(s, np.float32(2**-6), np.float32(448)).astype(ml_dtypes.float8_e4m3fn)
    s32 = s8.astype(np.float32)
    if tensor_scale is None:
        r = np.float32(1) / s32
    else:
        r = (np.float32(1) / np.float32(tensor_scale)) / s32
    y = np.clip(xb * r[:, None], np.float32(-6), np.float32(6))
    codes = y.astype(ml_dtypes.float4_e2m1fn).view(np.uint8)
    return codes.reshape(x.shape), s8.view(np.uint8).reshape(*x.shape[:-1], -1)


@pytest.mark.parametrize("tensor_scale", SCALES)
def test_agrees_with_torchao_on_every_code_scale_byte_and_value(tensor_scale):
    totals = {}
    for name, x in cases("fp4_e2m1", 16, specials=False).items():
        counts = compare_nvfp4(x, tensor_scale)
        assert counts["unexplained"] == 0, (name, counts)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    assert totals["codes_equal"] == totals["values"] > 70_000
    assert totals["scales_equal"] == totals["blocks"]


def test_agrees_with_torchao_for_a_calibrated_tensor_scale():
    x = cases("fp4_e2m1", 16, specials=False)["large"]
    bq = nvfp4_quantize(x, tensor_scale=0.37)
    codes, scales, packed, x_hat = torchao_nvfp4_codes(x, bq.tensor_scale)
    assert torch.equal(bq.codes, codes) and torch.equal(bq.scales, scales)
    assert torch.equal(bq.packed(), packed.reshape(-1))
    assert torch.equal(bq.dequantize(), x_hat)


def test_bfloat16_input_agrees_with_torchao():
    x = cases("fp4_e2m1", 16, specials=False)["normal"].to(torch.bfloat16)
    bq = nvfp4_quantize(x)
    codes, scales, _, x_hat = torchao_nvfp4_codes(x)
    assert torch.equal(bq.codes, codes) and torch.equal(bq.scales, scales)
    assert torch.equal(bq.dequantize().float(), x_hat.to(torch.bfloat16).float())


@pytest.mark.parametrize("tensor_scale", [None, 0.01, 3.0])
def test_matches_an_independent_numpy_implementation(tensor_scale):
    for name, x in cases("fp4_e2m1", 16, specials=False).items():
        bq = nvfp4_quantize(x, tensor_scale=tensor_scale)
        codes, scales = nvfp4_reference(x, tensor_scale)
        assert np.array_equal(bq.scales.numpy(), scales), name
        assert np.array_equal(bq.codes.numpy(), codes), name


def test_dequantize_is_fp4_value_times_the_two_scales():
    x = torch.randn(8, 64)
    bq = nvfp4_quantize(x, tensor_scale="amax")
    fp4 = bq.codes.numpy().view(ml_dtypes.float4_e2m1fn).astype(np.float32)
    s = bq.scales.numpy().view(ml_dtypes.float8_e4m3fn).astype(np.float32)
    scale = np.float32(bq.tensor_scale.item()) * s
    expected = fp4.reshape(-1, 16) * scale.reshape(-1, 1)
    assert np.array_equal(bq.dequantize().numpy().reshape(-1, 16), expected)


def test_all_zero_block_gets_the_smallest_normal_e4m3_scale():
    bq = nvfp4_quantize(torch.zeros(1, 32))
    assert bq.scales.tolist() == [[8, 8]]           # e4m3 code 8 = 2**-6
    assert bq.codes.eq(0).all() and bq.dequantize().eq(0).all()


def test_small_blocks_are_clamped_to_2_to_the_minus_6():
    x = torch.full((1, 16), 0.01)                    # 0.01 / 6 < 2**-6
    bq = nvfp4_quantize(x)
    assert bq.scales.item() == 8                     # not 0.01 / 6 (e4m3 subnormal)
    # 0.01 / 2**-6 = 0.64 rounds to fp4's 0.5: x_hat = 0.5 * 2**-6
    assert bq.codes[0, 0].item() == 1
    assert bq.dequantize()[0, 0].item() == 0.0078125


def test_without_a_tensor_scale_large_blocks_saturate():
    x = torch.full((1, 16), 5000.0)
    assert nvfp4_quantize(x).scales.item() == 126    # 448, the largest e4m3
    assert nvfp4_quantize(x).dequantize()[0, 0].item() == 6 * 448.0
    bq = nvfp4_quantize(x, tensor_scale="amax")
    assert bq.dequantize()[0, 0].item() == 5000.0


def test_tensor_scale_amax_is_torchaos_per_tensor_amax_to_scale():
    ao = torchao_mx()
    for name, x in cases("fp4_e2m1", 16, specials=False).items():
        if x.abs().max() >= 2688 * 2.0**-121:
            expected = ao.per_tensor_amax_to_scale(x.abs().max())
            assert torch.equal(nvfp4_tensor_scale(x), expected), name


def test_tensor_scale_amax_and_its_floor():
    x = torch.tensor([[2688.0] + [0.0] * 15])
    assert nvfp4_tensor_scale(x).item() == 1.0
    assert nvfp4_tensor_scale(torch.zeros(1, 16)).item() == TENSOR_SCALE_MIN
    bq = nvfp4_quantize(torch.zeros(1, 16), tensor_scale="amax")
    assert bq.dequantize().eq(0).all() and bq.scales.item() == 8
    tiny = torch.full((1, 16), 1e-38)
    assert torch.isfinite(nvfp4_quantize(tiny, tensor_scale="amax").dequantize()).all()


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), 2.0**-125])
def test_bad_tensor_scales_are_rejected(bad):
    with pytest.raises(ValueError, match="tensor_scale"):
        nvfp4_quantize(torch.ones(1, 16), tensor_scale=bad)


def test_tensor_scale_type_errors():
    with pytest.raises(ValueError, match="'amax'"):
        nvfp4_quantize(torch.ones(1, 16), tensor_scale="max")
    with pytest.raises(TypeError, match="tensor_scale"):
        nvfp4_quantize(torch.ones(1, 16), tensor_scale=[1.0])
    with pytest.raises(ValueError, match="single number"):
        nvfp4_quantize(torch.ones(1, 16), tensor_scale=torch.ones(2))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_input_is_a_value_error(bad):
    x = torch.ones(1, 16)
    x[0, 3] = bad
    with pytest.raises(ValueError, match="finite"):
        nvfp4_quantize(x)
